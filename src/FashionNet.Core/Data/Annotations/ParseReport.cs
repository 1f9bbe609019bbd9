namespace FashionNet.Data.Annotations;

/// <summary>One problem that lenient reading tolerated: a skipped row, a dropped sample or a count that disagrees.</summary>
/// <param name="File">Path of the file the problem is in.</param>
/// <param name="Line">1-based line number, or 0 when it concerns the whole file.</param>
/// <param name="Problem">What was wrong and what was skipped.</param>
public sealed record ParseIssue(string File, int Line, string Problem)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}, line {Line}: {Problem}" : $"{File}: {Problem}";
}

/// <summary>Everything lenient reading skipped or tolerated, in the order met; empty after a clean read.</summary>
public sealed class ParseReport
{
    private readonly List<ParseIssue> _issues = [];

    /// <summary>The problems, in the order met.</summary>
    public IReadOnlyList<ParseIssue> Issues => _issues;

    /// <summary>Whether nothing was skipped or tolerated.</summary>
    public bool IsClean => _issues.Count == 0;

    internal void Add(string file, int line, string problem) => _issues.Add(new ParseIssue(file, line, problem));
}
