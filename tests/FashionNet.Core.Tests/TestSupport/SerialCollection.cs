namespace FashionNet.Tests.TestSupport;

/// <summary>Tests that measure process-wide state (live tensor counts, memory) or use both cores run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
