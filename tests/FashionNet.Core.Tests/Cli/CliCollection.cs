using FashionNet.Tests.TestSupport;

namespace FashionNet.Tests.Cli;

/// <summary>The tests that run the <c>fashionnet</c> process: about 20 CPU seconds in all (trainings, model loads), so they start first.</summary>
[CollectionDefinition(Name)]
[LongCollection]
public sealed class CliCollection
{
    public const string Name = "fashionnet command";
}
