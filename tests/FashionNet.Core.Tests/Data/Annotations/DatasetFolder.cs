using System.Text;
using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

/// <summary>A throw-away dataset folder in the temp directory that tests write small list files and empty images into.</summary>
internal sealed class DatasetFolder : IDisposable
{
    public DatasetFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "fashionnet-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes a list file: the count line (the row count unless given), the header, then the rows.</summary>
    public void WriteList(string relativePath, string header, IEnumerable<string> rows, int? count = null)
    {
        var lines = rows.ToList();
        Write(relativePath, $"{count ?? lines.Count}\n{header}\n{string.Join("\n", lines)}\n");
    }

    public void Write(string relativePath, string text) => WriteBytes(relativePath, Encoding.UTF8.GetBytes(text));

    public void WriteBytes(string relativePath, byte[] bytes)
    {
        string path = PathOf(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Replaces one line (1-based) of a file already written.</summary>
    public void ReplaceLine(string relativePath, int line, string text)
    {
        var lines = File.ReadAllLines(PathOf(relativePath));
        lines[line - 1] = text;
        File.WriteAllLines(PathOf(relativePath), lines);
    }

    /// <summary>Appends a row to a file already written, without touching its count line.</summary>
    public void AppendLine(string relativePath, string text) => File.AppendAllText(PathOf(relativePath), text + "\n");

    /// <summary>Creates empty image files: the readers check existence, not content.</summary>
    public void Images(IEnumerable<string> relativePaths)
    {
        foreach (string image in relativePaths) WriteBytes(image, []);
    }

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public FashionDataset Read(DeepFashionFormat format, bool lenient = false) =>
        DeepFashionReader.Read(Root, format, new ReaderOptions { Lenient = lenient });

    /// <summary>Reads strictly, expects a format error and checks the file name, line and problem it names.</summary>
    public DeepFashionFormatException ExpectError(DeepFashionFormat format, string file, int line, string problemFragment)
    {
        var error = Assert.Throws<DeepFashionFormatException>(() => Read(format));
        Assert.Equal(Path.GetFileName(file), Path.GetFileName(error.File));
        Assert.Equal(line, error.Line);
        Assert.Contains(problemFragment, error.Problem);
        Assert.Contains(Path.GetFileName(file), error.Message);
        return error;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
