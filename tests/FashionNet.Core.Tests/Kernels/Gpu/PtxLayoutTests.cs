using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using FashionNet.Kernels;
using FashionNet.Kernels.Gpu;

namespace FashionNet.Tests.Kernels.Gpu;

/// <summary>
/// The PTX of both GPU backends (clang-built from native/, embedded; compiled by ILGPU) declares the entry points and
/// parameter layout that <see cref="CudaKernelSet"/> launches with: a 4-byte count, 16-byte views, then scalars.
/// </summary>
public partial class PtxLayoutTests
{
    private const string Count = "4", View = "16@8", Geometry = "28@4", Int = "4";

    private static readonly string[] PoolingForwardLayout = [Count, View, View, View, View, View, Geometry];
    private static readonly string[] PoolingBackwardLayout = [Count, View, View, View, Geometry];
    private static readonly string[] LossForwardLayout = [Count, View, View, View, View, View, View, View, Int, Int];

    [Fact]
    public void ManagedArgumentsHaveThePtxSizes()
    {
        Assert.Equal(16, Unsafe.SizeOf<DeviceView>());
        Assert.Equal(28, Unsafe.SizeOf<LandmarkPoolingGeometry>());
    }

    [Fact]
    public void NativeGeometryStructMirrorsTheManagedOneFieldByField()
    {
        // The kernels receive LandmarkPoolingGeometry by value: native/landmark_pooling.cu must declare the same fields
        // in the same order with the same types, or the sizes could still agree while the values land in the wrong fields.
        string source = File.ReadAllText(Path.Combine(NativeHostKernels.NativeSourceDirectory(), "landmark_pooling.cu"));
        var body = Regex.Match(source, @"struct LandmarkPoolingGeometry\s*\{(?<fields>[^}]*)\}");
        Assert.True(body.Success, "struct LandmarkPoolingGeometry not found in native/landmark_pooling.cu");
        var native = Regex.Matches(body.Groups["fields"].Value, @"(?<type>int|float)\s+(?<name>\w+);")
            .Select(m => (m.Groups["type"].Value, m.Groups["name"].Value.Replace("_", "", StringComparison.Ordinal)));

        var managed = typeof(LandmarkPoolingGeometry).GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .OrderBy(f => Marshal.OffsetOf<LandmarkPoolingGeometry>(f.Name))
            .Select(f => (f.FieldType == typeof(int) ? "int" : f.FieldType == typeof(float) ? "float" : f.FieldType.Name,
                Regex.Match(f.Name, @"<(\w+)>").Groups[1].Value.ToLowerInvariant()));

        Assert.Equal(managed, native);
    }

    [SkippableFact]
    public void NativePtxHasTheEntriesAndParameterLayout()
    {
        Skip.If(!NativePtx.TryGetKernelSet(out var kernels, out string reason), $"{reason}; the package build (.ci/run) installs clang-14");
        AssertLayouts(kernels);
        Assert.Contains(".target sm_80", kernels.LandmarkPoolingForward.Ptx, StringComparison.Ordinal);
    }

    [Fact]
    public void IlgpuPtxHasTheEntriesAndParameterLayout()
    {
        Assert.True(IlgpuPtx.TryGetKernelSet(out var kernels, out string reason), reason);
        AssertLayouts(kernels);
        Assert.Contains("red.add", kernels.LandmarkPoolingBackward.Ptx, StringComparison.Ordinal); // Atomic.Add became a reduction
    }

    [Fact]
    public void ParameterParserReadsScalarsAndAlignedByteArrays()
    {
        const string Ptx = """
            .visible .entry k(
            	.param .u32 k_param_0,
            	.param .align 8 .b8 k_param_1[16],
            	.param .f32 k_param_2
            )
            {
            """;
        Assert.Equal(["4", "16@8", "4"], EntryParameters(Ptx, "k"));
        Assert.Empty(EntryParameters(Ptx, "other"));
    }

    private static void AssertLayouts(PtxKernelSet kernels)
    {
        Assert.Equal(PoolingForwardLayout, EntryParameters(kernels.LandmarkPoolingForward.Ptx, kernels.LandmarkPoolingForward.EntryPoint));
        Assert.Equal(PoolingBackwardLayout, EntryParameters(kernels.LandmarkPoolingBackward.Ptx, kernels.LandmarkPoolingBackward.EntryPoint));
        Assert.Equal(LossForwardLayout, EntryParameters(kernels.WeightedAttributeLossForward.Ptx, kernels.WeightedAttributeLossForward.EntryPoint));
    }

    /// <summary>The parameters of <c>.entry name(...)</c> as "bytes" for scalars and "bytes@alignment" for byte arrays.</summary>
    private static string[] EntryParameters(string ptx, string entryPoint)
    {
        var entry = Regex.Match(ptx, $@"\.entry\s+{Regex.Escape(entryPoint)}\s*\((?<parameters>[^)]*)\)");
        if (!entry.Success)
            return [];
        return ParameterPattern().Matches(entry.Groups["parameters"].Value)
            .Select(p => p.Groups["bytes"].Success
                ? $"{p.Groups["bytes"].Value}@{p.Groups["align"].Value}"
                : (int.Parse(p.Groups["bits"].Value, System.Globalization.CultureInfo.InvariantCulture) / 8).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
    }

    [GeneratedRegex(@"\.param\s+(?:\.align\s+(?<align>\d+)\s+\.b8\s+\w+\[(?<bytes>\d+)\]|\.[a-z](?<bits>\d+)\s+\w+)")]
    private static partial Regex ParameterPattern();
}
