using System.Buffers;
using System.Runtime.Intrinsics.X86;
using TorchSharp;

namespace FashionNet.Kernels.Cpu;

/// <summary>
/// Landmark pooling in managed code over the tensors' own memory. Forward is split into ranges of landmarks, each
/// walking the channel planes at fixed cells with prefetching. Backward is split into ranges of feature planes (one
/// sample and channel): each thread owns the gradient plane it writes, clearing it and adding the routed gradients in
/// one pass, so there are no atomics, no separate zero-fill of the feature-sized gradient, and the summation order is
/// deterministic. Before that first write the fresh gradient is offered to transparent huge pages
/// (<see cref="HugePages"/>), since faulting it in 4 KiB pages costs more than the pooling itself.
/// </summary>
internal sealed unsafe class CpuLandmarkPoolingKernel : ILandmarkPoolingKernel
{
    /// <summary>The kernel holds no state; one instance serves every call.</summary>
    public static CpuLandmarkPoolingKernel Instance { get; } = new();

    /// <summary>A range of fewer feature planes than this is not worth handing to another thread (backward).</summary>
    private const long MinimumPlanesPerRange = 32;

    /// <summary>A range of fewer landmarks than this is not worth handing to another thread (forward; each reads every channel).</summary>
    private const long MinimumLandmarksPerRange = 2;

    private CpuLandmarkPoolingKernel()
    {
    }

    /// <inheritdoc />
    public bool BackwardWritesWholeGradient => true;

    /// <inheritdoc />
    public void Forward(torch.Tensor features, torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry geometry,
        torch.Tensor output, torch.Tensor argmax)
    {
        if (geometry.OutputElements == 0)
        {
            return;
        }
        var rectangleCount = geometry.Batch * geometry.Landmarks * geometry.Bins * geometry.Bins;
        var rectangles = ArrayPool<BinRectangle>.Shared.Rent(rectangleCount);
        try
        {
            FillBinRectangles(landmarks, visibility, geometry, rectangles);
            var body = new ForwardBody(
                TensorMemory.Pointer<float>(features), TensorMemory.Pointer<float>(output), TensorMemory.Pointer<int>(argmax),
                rectangles, geometry);
            ParallelRanges.Run((long)geometry.Batch * geometry.Landmarks, MinimumLandmarksPerRange, body);
        }
        finally
        {
            ArrayPool<BinRectangle>.Shared.Return(rectangles);
        }
    }

    /// <inheritdoc />
    public void Backward(torch.Tensor gradOutput, torch.Tensor argmax, in LandmarkPoolingGeometry geometry, torch.Tensor gradFeatures)
    {
        var planes = (long)geometry.Batch * geometry.Channels;
        if (planes == 0)
        {
            return;
        }
        var gradients = TensorMemory.Pointer<float>(gradFeatures);
        HugePages.Advise(gradients, planes * geometry.Height * geometry.Width * sizeof(float));
        var body = new BackwardBody(
            geometry.OutputElements == 0 ? null : TensorMemory.Pointer<float>(gradOutput),
            geometry.OutputElements == 0 ? null : TensorMemory.Pointer<int>(argmax),
            gradients, geometry);
        ParallelRanges.Run(planes, MinimumPlanesPerRange, body);
    }

    /// <summary>
    /// The cell rectangle of every bin of every landmark, <c>[N, L, P, P]</c>, already clipped to the map; empty for
    /// invisible landmarks and bins outside the map. It is the same for every channel, so it is computed once per call.
    /// </summary>
    private static void FillBinRectangles(torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry g, BinRectangle[] rectangles)
    {
        var coordinates = TensorMemory.Pointer<float>(landmarks);
        var visible = TensorMemory.Pointer<float>(visibility);
        var half = g.WindowSize / 2;
        var index = 0;
        for (var landmark = 0; landmark < g.Batch * g.Landmarks; landmark++)
        {
            var isVisible = visible[landmark] != 0;
            var top = LandmarkPoolingRules.Cell(coordinates[2 * landmark + 1], g.Height, g.WindowSize) - half;
            var left = LandmarkPoolingRules.Cell(coordinates[2 * landmark], g.Width, g.WindowSize) - half;
            for (var binY = 0; binY < g.Bins; binY++)
            {
                var rowStart = Math.Clamp(top + LandmarkPoolingRules.BinStart(binY, g.WindowSize, g.Bins), 0, g.Height);
                var rowEnd = Math.Clamp(top + LandmarkPoolingRules.BinEnd(binY, g.WindowSize, g.Bins), 0, g.Height);
                for (var binX = 0; binX < g.Bins; binX++)
                {
                    var colStart = Math.Clamp(left + LandmarkPoolingRules.BinStart(binX, g.WindowSize, g.Bins), 0, g.Width);
                    var colEnd = Math.Clamp(left + LandmarkPoolingRules.BinEnd(binX, g.WindowSize, g.Bins), 0, g.Width);
                    rectangles[index++] = isVisible && rowEnd > rowStart && colEnd > colStart
                        ? new BinRectangle(rowStart, rowEnd, colStart, colEnd)
                        : default;
                }
            }
        }
    }

    private readonly record struct BinRectangle(int RowStart, int RowEnd, int ColStart, int ColEnd)
    {
        public bool IsEmpty => RowEnd == RowStart;
    }

    /// <summary>
    /// Forward over a range of landmarks (index <c>n * L + l</c>). For one landmark the bins sit at the same cells of
    /// every channel plane, so the channel loop reads with a constant stride of one plane; the cells a few channels
    /// ahead are prefetched, since no hardware prefetcher follows this pattern and the loop is otherwise bound by
    /// memory latency. Output for one landmark is contiguous (<c>[C, P, P]</c>).
    /// </summary>
    private readonly struct ForwardBody(float* features, float* output, int* argmax, BinRectangle[] rectangles, LandmarkPoolingGeometry g)
        : IRangeBody
    {
        /// <summary>How many channel planes ahead to prefetch; measured best among 4, 8 and 16 at FashionNet's shape.</summary>
        private const int PrefetchDistance = 8;

        public void Run(long firstLandmark, long endLandmark)
        {
            var planeSize = g.Height * g.Width;
            var binsPerLandmark = g.Bins * g.Bins;
            var outputsPerLandmark = g.Channels * binsPerLandmark;
            for (var landmarkIndex = (int)firstLandmark; landmarkIndex < endLandmark; landmarkIndex++)
            {
                var sample = landmarkIndex / g.Landmarks;
                var landmarkRectangles = new ReadOnlySpan<BinRectangle>(rectangles, landmarkIndex * binsPerLandmark, binsPerLandmark);
                var pooled = LandmarkOutput(landmarkIndex, out var landmarkArgmax);
                var window = Union(landmarkRectangles);
                if (window.IsEmpty)
                {
                    // Invisible, or wholly off the map.
                    new Span<float>(pooled, outputsPerLandmark).Clear();
                    new Span<int>(landmarkArgmax, outputsPerLandmark).Fill(-1);
                    continue;
                }
                var plane = features + (long)sample * g.Channels * planeSize;
                for (var channel = 0; channel < g.Channels; channel++, plane += planeSize)
                {
                    if (Sse.IsSupported && channel + PrefetchDistance < g.Channels)
                    {
                        var ahead = plane + PrefetchDistance * planeSize;
                        for (var row = window.RowStart; row < window.RowEnd; row++)
                        {
                            Sse.Prefetch0(ahead + row * g.Width + window.ColStart);
                            Sse.Prefetch0(ahead + row * g.Width + window.ColEnd - 1);
                        }
                    }
                    for (var bin = 0; bin < binsPerLandmark; bin++)
                    {
                        var target = channel * binsPerLandmark + bin;
                        var rectangle = landmarkRectangles[bin];
                        if (rectangle.IsEmpty)
                        {
                            pooled[target] = 0f;
                            landmarkArgmax[target] = -1;
                            continue;
                        }
                        // Row-major scan with strict '>' keeps the first maximum on ties. The selects are written
                        // without branches: on real features the comparison is a coin flip the CPU cannot predict.
                        var best = rectangle.RowStart * g.Width + rectangle.ColStart;
                        var bestValue = plane[best];
                        for (var row = rectangle.RowStart; row < rectangle.RowEnd; row++)
                        {
                            var rowStart = row * g.Width;
                            for (var cell = rowStart + rectangle.ColStart; cell < rowStart + rectangle.ColEnd; cell++)
                            {
                                var value = plane[cell];
                                var greater = value > bestValue;
                                best = greater ? cell : best;
                                bestValue = greater ? value : bestValue;
                            }
                        }
                        pooled[target] = bestValue;
                        landmarkArgmax[target] = best;
                    }
                }
            }
        }

        /// <summary>Start of one landmark's <c>[C, P, P]</c> block in the output, and in the argmax through <paramref name="landmarkArgmax"/>.</summary>
        private float* LandmarkOutput(int landmarkIndex, out int* landmarkArgmax)
        {
            var offset = (long)landmarkIndex * g.Channels * g.Bins * g.Bins;
            landmarkArgmax = argmax + offset;
            return output + offset;
        }

        /// <summary>The smallest rectangle holding every non-empty bin; empty when all are.</summary>
        private static BinRectangle Union(ReadOnlySpan<BinRectangle> bins)
        {
            var union = default(BinRectangle);
            foreach (var bin in bins)
            {
                if (bin.IsEmpty)
                {
                    continue;
                }
                union = union.IsEmpty
                    ? bin
                    : new BinRectangle(Math.Min(union.RowStart, bin.RowStart), Math.Max(union.RowEnd, bin.RowEnd),
                        Math.Min(union.ColStart, bin.ColStart), Math.Max(union.ColEnd, bin.ColEnd));
            }
            return union;
        }
    }

    private readonly struct BackwardBody(float* gradOutput, int* argmax, float* gradFeatures, LandmarkPoolingGeometry g) : IRangeBody
    {
        public void Run(long firstPlane, long endPlane)
        {
            var planeSize = g.Height * g.Width;
            var binsPerLandmark = g.Bins * g.Bins;
            for (var plane = firstPlane; plane < endPlane; plane++)
            {
                var sample = (int)(plane / g.Channels);
                var channel = (int)(plane % g.Channels);
                var gradients = gradFeatures + plane * planeSize;
                new Span<float>(gradients, planeSize).Clear();
                for (var landmark = 0; landmark < g.Landmarks; landmark++)
                {
                    var source = ((long)(sample * g.Landmarks + landmark) * g.Channels + channel) * binsPerLandmark;
                    for (var bin = 0; bin < binsPerLandmark; bin++)
                    {
                        var cell = argmax[source + bin];
                        if (cell >= 0)
                        {
                            gradients[cell] += gradOutput[source + bin];
                        }
                    }
                }
            }
        }
    }
}
