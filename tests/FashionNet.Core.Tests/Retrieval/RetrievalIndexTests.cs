using System.Buffers.Binary;
using FashionNet.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Tests.Retrieval;

public sealed class RetrievalIndexTests : IDisposable
{
    private const int Dimension = 8;
    private const string Fingerprint = "resnet18-test-model-sha256:0123abcd";
    private readonly string _directory = Directory.CreateTempSubdirectory("fashionnet-index-").FullName;

    private string IndexPath => Path.Combine(_directory, "gallery.fnidx");

    private static RetrievalIndexContent Content(int count, int seed, string fingerprint = Fingerprint, int dimension = Dimension)
    {
        var random = new Random(seed);
        float[] embeddings = Enumerable.Range(0, count * dimension).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        return new RetrievalIndexContent(fingerprint, dimension, embeddings,
            [.. Enumerable.Range(0, count).Select(i => $"id_{seed:D2}_{i % 5:D4}")],
            [.. Enumerable.Range(0, count).Select(i => $"img/WOMEN/Dresses/ü_{seed}_{i}.jpg")]);
    }

    [Fact]
    public void RoundTripsEmbeddingsIdsAndPaths()
    {
        var content = Content(23, seed: 1);

        RetrievalIndex.Create(IndexPath, content);
        using var index = RetrievalIndex.Open(IndexPath, new RetrievalIndexOpenOptions { ExpectedModelFingerprint = Fingerprint, ExpectedDimension = Dimension });

        Assert.Equal(23, index.Count);
        Assert.Equal(Dimension, index.Dimension);
        Assert.Equal(Fingerprint, index.ModelFingerprint);
        for (int i = 0; i < 23; i++)
        {
            Assert.Equal(content.Embeddings.Slice(i * Dimension, Dimension).ToArray(), index.GetEmbedding(i).ToArray());
            Assert.Equal(content.ItemIds[i], index.GetItemId(i));
            Assert.Equal(content.ImagePaths[i], index.GetImagePath(i));
        }

        Assert.Equal(["gallery.fnidx"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void SearchMatchesInMemorySearch()
    {
        var content = Content(50, seed: 2);
        RetrievalIndex.Create(IndexPath, content);
        float[] queries = Content(4, seed: 3).Embeddings.ToArray();
        var options = new SimilaritySearchOptions { GalleryTileSize = 16 };

        using var index = RetrievalIndex.Open(IndexPath);
        var expected = SimilaritySearch.Search(queries, content.Embeddings.ToArray(), Dimension, 7, options);
        using var queryTensor = tensor(queries).view(4, Dimension);
        var actual = index.Search(queryTensor, 7, options);

        for (int q = 0; q < 4; q++)
        {
            Assert.Equal(Enumerable.Range(1, 7), actual[q].Select(m => m.Rank));
            Assert.Equal(expected.GetIndices(q).ToArray(), actual[q].Select(m => m.EntryIndex));
            Assert.Equal(expected.GetScores(q).ToArray(), actual[q].Select(m => m.Score));
            Assert.All(actual[q], m => Assert.Equal(content.ItemIds[m.EntryIndex], m.ItemId));
            Assert.All(actual[q], m => Assert.Equal(content.ImagePaths[m.EntryIndex], m.ImagePath));
        }

        // One query alone goes through a matrix-vector product: scores may differ from the batched ones in the last bit.
        var single = index.Search(queries.AsSpan(0, Dimension), 7, options);
        Assert.Equal(actual[0].Select(m => m.EntryIndex), single.Select(m => m.EntryIndex));
        Assert.All(single.Zip(actual[0]), pair => Assert.Equal(pair.Second.Score, pair.First.Score, 1e-6f));
    }

    [Fact]
    public void AppendAddsEntriesAfterTheOldOnes()
    {
        var first = Content(10, seed: 4);
        var second = Content(6, seed: 5);
        RetrievalIndex.Create(IndexPath, first);

        RetrievalIndex.Append(IndexPath, second);

        using var index = RetrievalIndex.Open(IndexPath);
        Assert.Equal(16, index.Count);
        Assert.Equal(first.ItemIds.Concat(second.ItemIds), Enumerable.Range(0, 16).Select(index.GetItemId));
        Assert.Equal(first.ImagePaths.Concat(second.ImagePaths), Enumerable.Range(0, 16).Select(index.GetImagePath));
        Assert.Equal(first.Embeddings.ToArray().Concat(second.Embeddings.ToArray()),
            Enumerable.Range(0, 16).SelectMany(i => index.GetEmbedding(i).ToArray()));
        // The appended entry is found by its own embedding.
        Assert.Equal(12, index.Search(second.Embeddings.Span.Slice(2 * Dimension, Dimension), 1)[0].EntryIndex);
    }

    [Fact]
    public void AnIndexOpenDuringAnAppendKeepsReadingTheOldVersion()
    {
        var first = Content(10, seed: 21);
        RetrievalIndex.Create(IndexPath, first);
        using var before = RetrievalIndex.Open(IndexPath);

        RetrievalIndex.Append(IndexPath, Content(5, seed: 22));

        using var after = RetrievalIndex.Open(IndexPath);
        Assert.Equal(10, before.Count);
        Assert.Equal(15, after.Count);
        Assert.Equal(3, before.Search(first.Embeddings.Span.Slice(3 * Dimension, Dimension), 1)[0].EntryIndex);
    }

    [Fact]
    public void AppendToAnEmptyIndexWorks()
    {
        RetrievalIndex.Create(IndexPath, Content(0, seed: 6));
        RetrievalIndex.Append(IndexPath, Content(3, seed: 7));

        using var index = RetrievalIndex.Open(IndexPath);
        Assert.Equal(3, index.Count);
    }

    [Fact]
    public void AppendFromADifferentModelIsRefusedAndLeavesTheFileAlone()
    {
        RetrievalIndex.Create(IndexPath, Content(5, seed: 8));
        byte[] before = File.ReadAllBytes(IndexPath);

        var error = Assert.Throws<RetrievalIndexException>(() => RetrievalIndex.Append(IndexPath, Content(2, seed: 9, fingerprint: "other-model")));

        Assert.Contains("different model", error.Message);
        Assert.Contains("other-model", error.Message);
        Assert.Equal(before, File.ReadAllBytes(IndexPath));
        Assert.Throws<RetrievalIndexException>(() => RetrievalIndex.Append(IndexPath, Content(2, seed: 10, dimension: 4)));
    }

    [Fact]
    public void FingerprintAndDimensionMismatchNameTheFile()
    {
        RetrievalIndex.Create(IndexPath, Content(5, seed: 11));

        var model = Assert.Throws<RetrievalIndexException>(() =>
            RetrievalIndex.Open(IndexPath, new RetrievalIndexOpenOptions { ExpectedModelFingerprint = "another" }));
        var dimension = Assert.Throws<RetrievalIndexException>(() =>
            RetrievalIndex.Open(IndexPath, new RetrievalIndexOpenOptions { ExpectedDimension = 512 }));

        Assert.Equal(IndexPath, model.FilePath);
        Assert.Contains(IndexPath, model.Message);
        Assert.Contains($"'{Fingerprint}'", model.Message);
        Assert.Contains("dimension 8, expected 512", dimension.Message);
    }

    /// <summary>Where in the file a byte is flipped, and the section the error must name.</summary>
    public static TheoryData<string, string> Corruptions => new()
    {
        { "dimension field", "header" },
        { "fingerprint", "header" },
        { "first embedding", "section 'embeddings'" },
        { "last embedding", "section 'embeddings'" },
        { "item id text", "section 'item ids'" },
        { "image path offsets", "section 'image paths'" },
        { "last byte", "section 'image paths'" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void FlippedByteIsAChecksumErrorNamingTheSection(string where, string section)
    {
        RetrievalIndex.Create(IndexPath, Content(9, seed: 12));
        byte[] bytes = File.ReadAllBytes(IndexPath);
        long embeddings = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24));
        long embeddingsLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(32));
        long itemIds = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(48));
        long imagePaths = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(72));
        long position = where switch
        {
            "dimension field" => 16,
            "fingerprint" => 103,
            "first embedding" => embeddings,
            "last embedding" => embeddings + embeddingsLength - 1,
            "item id text" => itemIds + 10 * sizeof(long) + 3,
            "image path offsets" => imagePaths + 3 * sizeof(long),
            _ => bytes.Length - 1,
        };
        bytes[position] ^= 0x10;
        File.WriteAllBytes(IndexPath, bytes);

        var error = Assert.Throws<RetrievalIndexException>(() => RetrievalIndex.Open(IndexPath));

        Assert.Contains($"checksum mismatch in {(section == "header" ? "the header" : section)}", error.Message);
        Assert.Equal(Path.GetFullPath(IndexPath), error.FilePath);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(60)]
    [InlineData(200)]
    [InlineData(-1)]
    public void TruncatedFileIsReportedAsTruncated(int keptBytes)
    {
        RetrievalIndex.Create(IndexPath, Content(9, seed: 13));
        byte[] bytes = File.ReadAllBytes(IndexPath);
        File.WriteAllBytes(IndexPath, bytes[..(keptBytes < 0 ? bytes.Length + keptBytes : keptBytes)]);

        var error = Assert.Throws<RetrievalIndexException>(() => RetrievalIndex.Open(IndexPath));

        Assert.StartsWith("truncated", error.Problem);
    }

    [Fact]
    public void ForeignFileIsNotTakenForAnIndex()
    {
        File.WriteAllText(IndexPath, "image_name item_id evaluation_status\nimg/1.jpg id_1 query\n");

        var error = Assert.Throws<RetrievalIndexException>(() => RetrievalIndex.Open(IndexPath));

        Assert.Contains("not a FashionNet retrieval index", error.Message);
    }

    [Fact]
    public void UnknownFormatVersionIsRefused()
    {
        RetrievalIndex.Create(IndexPath, Content(2, seed: 14));
        byte[] bytes = File.ReadAllBytes(IndexPath);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 7);
        File.WriteAllBytes(IndexPath, bytes);

        var error = Assert.Throws<RetrievalIndexException>(() => RetrievalIndex.Open(IndexPath));

        Assert.Contains("format version 7 is not supported", error.Message);
    }

    [Theory]
    [InlineData("create", RetrievalIndexFile.EmbeddingsSection)]
    [InlineData("create", RetrievalIndexFile.ImagePathsSection)]
    [InlineData("create", RetrievalIndexFile.HeaderSection)]
    [InlineData("append", RetrievalIndexFile.EmbeddingsSection)]
    [InlineData("append", RetrievalIndexFile.ItemIdsSection)]
    [InlineData("append", RetrievalIndexFile.HeaderSection)]
    public void FailedWriteLeavesNoPartialFileAndKeepsTheOldOne(string operation, string failingSection)
    {
        RetrievalIndex.Create(IndexPath, Content(4, seed: 15));
        byte[] before = File.ReadAllBytes(IndexPath);
        var written = new List<string>();
        RetrievalIndexFile.SectionWritten.Value = name =>
        {
            written.Add(name);
            if (name == failingSection) throw new IOException("disk full");
        };
        try
        {
            var error = Assert.Throws<IOException>(() =>
            {
                if (operation == "create") RetrievalIndex.Create(IndexPath, Content(6, seed: 16));
                else RetrievalIndex.Append(IndexPath, Content(6, seed: 16));
            });
            Assert.Equal("disk full", error.Message);
        }
        finally
        {
            RetrievalIndexFile.SectionWritten.Value = null;
        }

        // The writer really was part-way through the new file when it failed.
        Assert.Equal(failingSection, written.Last());
        Assert.Equal(["gallery.fnidx"], Directory.GetFiles(_directory).Select(Path.GetFileName));
        Assert.Equal(before, File.ReadAllBytes(IndexPath));
        using var index = RetrievalIndex.Open(IndexPath);
        Assert.Equal(4, index.Count);
    }

    [Fact]
    public void InvalidContentIsRefusedBeforeTheFileIsTouched()
    {
        RetrievalIndex.Create(IndexPath, Content(4, seed: 15));
        byte[] before = File.ReadAllBytes(IndexPath);
        var tooLongFingerprint = new string('x', RetrievalIndexFile.MaxFingerprintBytes + 1);

        Assert.Throws<ArgumentException>(() => RetrievalIndex.Create(IndexPath, Content(4, seed: 16, fingerprint: tooLongFingerprint)));

        Assert.Equal(["gallery.fnidx"], Directory.GetFiles(_directory).Select(Path.GetFileName));
        Assert.Equal(before, File.ReadAllBytes(IndexPath));
    }

    [Fact]
    public void SearchingAnEmptyIndexIsAnErrorNamingTheFile()
    {
        RetrievalIndex.Create(IndexPath, Content(0, seed: 23));
        using var index = RetrievalIndex.Open(IndexPath);
        using var queries = zeros(2, Dimension);

        var single = Assert.Throws<InvalidOperationException>(() => index.Search(new float[Dimension], 1));
        var batch = Assert.Throws<InvalidOperationException>(() => index.Search(queries, 3));

        Assert.All(new[] { single, batch }, error =>
        {
            Assert.Contains(Path.GetFullPath(IndexPath), error.Message);
            Assert.Contains("is empty", error.Message);
        });
    }

    [Fact]
    public void OpeningOrAppendingToAMissingIndexFileIsFileNotFoundNamingIt()
    {
        string missing = Path.Combine(_directory, "absent.fnidx");

        var open = Assert.Throws<FileNotFoundException>(() => RetrievalIndex.Open(missing));
        var append = Assert.Throws<FileNotFoundException>(() => RetrievalIndex.Append(missing, Content(2, seed: 24)));

        Assert.All(new[] { open, append }, error => Assert.Contains(missing, error.Message));
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData(SimilarityBackend.LibTorch)]
    [InlineData(SimilarityBackend.Managed)]
    public void ConcurrentQueriesGiveTheSingleThreadedResults(SimilarityBackend backend)
    {
        RetrievalIndex.Create(IndexPath, Content(300, seed: 17));
        float[] queries = Content(64, seed: 18).Embeddings.ToArray();
        var options = new SimilaritySearchOptions { GalleryTileSize = 64, Backend = backend };
        using var index = RetrievalIndex.Open(IndexPath);
        var expected = Enumerable.Range(0, 64).Select(q => index.Search(queries.AsSpan(q * Dimension, Dimension), 10, options)).ToArray();

        var actual = new IReadOnlyList<RetrievalMatch>[64];
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            q => actual[q] = index.Search(queries.AsSpan(q * Dimension, Dimension), 10, options));

        for (int q = 0; q < 64; q++) Assert.Equal(expected[q], actual[q]);
    }

    [Fact]
    public void DisposedIndexRefusesSearches()
    {
        RetrievalIndex.Create(IndexPath, Content(3, seed: 19));
        var index = RetrievalIndex.Open(IndexPath);
        index.Dispose();
        index.Dispose();

        Assert.Throws<ObjectDisposedException>(() => index.Search(new float[Dimension], 1));
        Assert.Throws<ObjectDisposedException>(() => index.GetItemId(0));
    }

    [Fact]
    public void QueryOfTheWrongDimensionIsRejected()
    {
        RetrievalIndex.Create(IndexPath, Content(3, seed: 20));
        using var index = RetrievalIndex.Open(IndexPath);

        var error = Assert.Throws<ArgumentException>(() => index.Search(new float[Dimension + 1], 1));

        Assert.Contains("dimension 9", error.Message);
    }

    [Fact]
    public void ContentRejectsInconsistentEntries()
    {
        Assert.Throws<ArgumentException>(() => new RetrievalIndexContent(Fingerprint, 4, new float[8], ["a"], ["p", "q"]));
        Assert.Throws<ArgumentException>(() => new RetrievalIndexContent(Fingerprint, 4, new float[7], ["a", "b"], ["p", "q"]));
        Assert.Throws<ArgumentException>(() => new RetrievalIndexContent(Fingerprint, 2, new[] { 0f, float.NaN }, ["a"], ["p"]));
        Assert.Throws<ArgumentException>(() => new RetrievalIndexContent("", 2, new float[2], ["a"], ["p"]));
    }

    [Fact]
    public void TheModelPathIsRecordedAndKeptByAppends()
    {
        RetrievalIndex.Create(IndexPath, new RetrievalIndexContent(Fingerprint, Dimension, Content(3, seed: 30).Embeddings, ["a", "b", "c"], ["1", "2", "3"])
        {
            ModelPath = "/models/über/best.ckpt",
        });
        using (var index = RetrievalIndex.Open(IndexPath)) Assert.Equal("/models/über/best.ckpt", index.ModelPath);

        RetrievalIndex.Append(IndexPath, Content(2, seed: 31));
        using (var index = RetrievalIndex.Open(IndexPath))
        {
            Assert.Equal("/models/über/best.ckpt", index.ModelPath);
            Assert.Equal(5, index.Count);
            Assert.Equal(Fingerprint, index.ModelFingerprint);
        }

        RetrievalIndex.Create(IndexPath, Content(2, seed: 32));
        using (var index = RetrievalIndex.Open(IndexPath)) Assert.Null(index.ModelPath);
    }

    [Fact]
    public void AVersion1IndexStillOpens()
    {
        // Written by the version 1 writer (before indexes recorded a model path): 2 entries of dimension 2.
        File.WriteAllBytes(IndexPath, Convert.FromBase64String(
            "iUZOSURYDQoBAAAAegAAAAIAAAACAAAAgAAAAAAAAAAQAAAAAAAAAJEoKNw0NR2SkAAAAAAAAAAkAAAAAAAAAN60FmRcgSJntAAAAAAAAAAqAAAAAAAAAAn8Hv3ry8Kk" +
            "DgAAAGZpbmdlcnByaW50LXYxR6OevpY3KNwAAAAAAACamRk/zcxMPwAAgD8AAAAAAAAAAAAAAAAGAAAAAAAAAAwAAAAAAAAAaXRlbV9haXRlbV9iAAAAAAAAAAAJAAAA" +
            "AAAAABIAAAAAAAAAaW1nL2EuanBnaW1nL2IuanBn"));

        using var index = RetrievalIndex.Open(IndexPath);

        Assert.Equal("fingerprint-v1", index.ModelFingerprint);
        Assert.Null(index.ModelPath);
        Assert.Equal(["item_a", "item_b"], Enumerable.Range(0, index.Count).Select(index.GetItemId));
        Assert.Equal(["img/a.jpg", "img/b.jpg"], Enumerable.Range(0, index.Count).Select(index.GetImagePath));
        Assert.Equal([0.6f, 0.8f], index.GetEmbedding(0).ToArray());
        Assert.Equal("item_b", index.Search([1f, 0f], top: 1)[0].ItemId);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
