using Xunit.Abstractions;

[assembly: TestCollectionOrderer("FashionNet.Tests.TestSupport.LongCollectionsFirst", "FashionNet.Core.Tests")]

namespace FashionNet.Tests.TestSupport;

/// <summary>Marks a collection definition whose tests take long in all: <see cref="LongCollectionsFirst"/> starts it first.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LongCollectionAttribute : Attribute;

/// <summary>
/// Starts the collections marked <see cref="LongCollectionAttribute"/> before the others (which keep xunit's default
/// order, by unique id): with two cores, a long collection started last runs alone at the end of the parallel phase;
/// started first, it overlaps the many short ones.
/// </summary>
public sealed class LongCollectionsFirst : ITestCollectionOrderer
{
    /// <inheritdoc/>
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(IsLong).ThenBy(c => c.UniqueID);

    private static bool IsLong(ITestCollection collection) =>
        collection.CollectionDefinition?.GetCustomAttributes(typeof(LongCollectionAttribute)).Any() == true;
}
