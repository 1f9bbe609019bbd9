namespace FashionNet.Data.Annotations;

/// <summary>A DeepFashion annotation file that cannot be read as its format requires; names the file, line and problem.</summary>
public sealed class DeepFashionFormatException : FormatException
{
    /// <summary>Creates the exception for a problem at a line of a file.</summary>
    /// <param name="file">Path of the offending file.</param>
    /// <param name="line">1-based line number, or 0 when the problem concerns the whole file.</param>
    /// <param name="problem">What is wrong, without the file and line.</param>
    public DeepFashionFormatException(string file, int line, string problem)
        : base(line > 0 ? $"{file}, line {line}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    /// <summary>Path of the offending file.</summary>
    public string File { get; }

    /// <summary>1-based line number, or 0 when the problem concerns the whole file.</summary>
    public int Line { get; }

    /// <summary>What is wrong, without the file and line.</summary>
    public string Problem { get; }
}
