using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using FashionNet.Data.Annotations;

namespace FashionNet.Benchmarks;

/// <summary>
/// Reading a Category and Attribute benchmark of the official size: 289,222 images with a <c>list_attr_img.txt</c> of
/// 1,000 labels per image (generated once under the temp folder, official padding: <c>-1</c> and <c> 1</c>, about
/// 0.5% positives). The baseline reads the partition alone, so the difference is the attribute file.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class AttributeFileParsingBenchmarks
{
    private const int ImageCount = 289_222;
    private const int AttributeCount = 1_000;
    private static readonly ReaderOptions Options = new() { CheckImageFiles = false };

    private string _root = null!;
    private string _partitionOnlyRoot = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), $"fashionnet-attr-bench-{Environment.ProcessId}");
        _partitionOnlyRoot = Path.Combine(_root, "partition-only");
        Directory.CreateDirectory(Path.Combine(_root, "Eval"));
        Directory.CreateDirectory(Path.Combine(_root, "Anno"));
        Directory.CreateDirectory(Path.Combine(_partitionOnlyRoot, "Eval"));

        string[] splits = ["train", "val", "test"];
        var partition = new StringBuilder().Append(ImageCount).Append("\nimage_name  evaluation_status\n");
        for (int i = 0; i < ImageCount; i++) partition.Append(ImageName(i)).Append("  ").Append(splits[i % 10 < 8 ? 0 : i % 10 - 7]).Append('\n');
        File.WriteAllText(Path.Combine(_root, "Eval", "list_eval_partition.txt"), partition.ToString());
        File.Copy(Path.Combine(_root, "Eval", "list_eval_partition.txt"), Path.Combine(_partitionOnlyRoot, "Eval", "list_eval_partition.txt"));

        var random = new Random(42);
        using var attributes = new StreamWriter(Path.Combine(_root, "Anno", "list_attr_img.txt"), false, new UTF8Encoding(false), 1 << 20);
        attributes.Write($"{ImageCount}\nimage_name  attribute_labels\n");
        var row = new StringBuilder(3 * AttributeCount + 80);
        for (int i = 0; i < ImageCount; i++)
        {
            row.Clear().Append(ImageName(i)).Append(' ', 4);
            for (int a = 0; a < AttributeCount; a++) row.Append(random.Next(200) == 0 ? "  1" : " -1");
            attributes.Write(row.Append('\n'));
        }
    }

    /// <summary>Size of the generated attribute file, for the record.</summary>
    public long AttributeFileBytes => new FileInfo(Path.Combine(_root, "Anno", "list_attr_img.txt")).Length;

    [Benchmark(Baseline = true)]
    public int PartitionOnly() => DeepFashionReader.Read(_partitionOnlyRoot, DeepFashionFormat.CategoryAttribute, Options).Samples.Count;

    [Benchmark]
    public int PartitionAndAttributes()
    {
        var dataset = DeepFashionReader.Read(_root, DeepFashionFormat.CategoryAttribute, Options);
        if (dataset.Samples[^1].Attributes is not { Count: AttributeCount }) throw new InvalidOperationException("Attributes were not read.");
        return dataset.Samples.Count;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// list_attr_img.txt: {AttributeFileBytes:N0} bytes, {ImageCount:N0} rows x {AttributeCount:N0} labels");
        Directory.Delete(_root, recursive: true);
    }

    private static string ImageName(int i) => $"img/Sheer_Pleated-Front_Blouse_{i / 40:D5}/img_{i:D8}.jpg";
}
