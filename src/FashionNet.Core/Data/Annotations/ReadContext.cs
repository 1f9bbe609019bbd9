namespace FashionNet.Data.Annotations;

/// <summary>Options and report of one read: decides whether a problem throws (strict) or is reported and skipped (lenient).</summary>
internal sealed class ReadContext(ReaderOptions options)
{
    public ReaderOptions Options { get; } = options;

    public ParseReport Report { get; } = new();

    /// <summary>Strict: throws <paramref name="problem"/>. Lenient: records it with what was done about it.</summary>
    public void Fail(DeepFashionFormatException problem, string consequence)
    {
        if (!Options.Lenient) throw problem;
        Record(problem, consequence);
    }

    /// <summary>Records a problem already caught in lenient mode.</summary>
    public void Record(DeepFashionFormatException problem, string consequence) =>
        Report.Add(problem.File, problem.Line, $"{problem.Problem}; {consequence}");
}
