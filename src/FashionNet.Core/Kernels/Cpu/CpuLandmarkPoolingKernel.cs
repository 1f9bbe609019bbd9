using TorchSharp;

namespace FashionNet.Kernels.Cpu;

/// <summary>
/// Landmark pooling in managed code over the tensors' own memory. Work is split into ranges of feature planes
/// (one plane = one sample and channel), so each thread reads a plane while it is in cache, pools every landmark's
/// bins from it, and in backward owns the gradient plane it writes: no atomics, and a deterministic summation order.
/// </summary>
internal sealed unsafe class CpuLandmarkPoolingKernel : ILandmarkPoolingKernel
{
    /// <summary>The kernel holds no state; one instance serves every call.</summary>
    public static CpuLandmarkPoolingKernel Instance { get; } = new();

    /// <summary>A range of fewer planes than this is not worth a thread-pool work item.</summary>
    private const long MinimumPlanesPerRange = 32;

    private CpuLandmarkPoolingKernel()
    {
    }

    /// <inheritdoc />
    public void Forward(torch.Tensor features, torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry geometry,
        torch.Tensor output, torch.Tensor argmax)
    {
        if (geometry.OutputElements == 0)
        {
            return;
        }
        var bins = BinBounds(landmarks, visibility, geometry);
        var job = new ForwardJob(
            TensorMemory.Pointer<float>(features), TensorMemory.Pointer<float>(output), TensorMemory.Pointer<int>(argmax),
            bins, geometry);
        PlaneRanges.Run((long)geometry.Batch * geometry.Channels, MinimumPlanesPerRange, job.Run);
    }

    /// <inheritdoc />
    public void Backward(torch.Tensor gradOutput, torch.Tensor argmax, in LandmarkPoolingGeometry geometry, torch.Tensor gradFeatures)
    {
        if (geometry.OutputElements == 0)
        {
            return;
        }
        var job = new BackwardJob(
            TensorMemory.Pointer<float>(gradOutput), TensorMemory.Pointer<int>(argmax), TensorMemory.Pointer<float>(gradFeatures),
            geometry);
        PlaneRanges.Run((long)geometry.Batch * geometry.Channels, MinimumPlanesPerRange, job.Run);
    }

    /// <summary>
    /// The cell rectangle of every bin of every landmark, <c>[N, L, P, P]</c> of (rowStart, rowEnd, colStart, colEnd),
    /// already clipped to the map; an empty rectangle (start == end) for invisible landmarks and bins outside the map.
    /// It is the same for every channel, so it is computed once per call.
    /// </summary>
    private static BinRectangle[] BinBounds(torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry g)
    {
        var rectangles = new BinRectangle[g.Batch * g.Landmarks * g.Bins * g.Bins];
        var coordinates = TensorMemory.Pointer<float>(landmarks);
        var visible = TensorMemory.Pointer<float>(visibility);
        var scaleX = LandmarkPoolingRules.CellScale(g.Width, g.ImageWidth);
        var scaleY = LandmarkPoolingRules.CellScale(g.Height, g.ImageHeight);
        var half = g.WindowSize / 2;
        var index = 0;
        for (var landmark = 0; landmark < g.Batch * g.Landmarks; landmark++)
        {
            var isVisible = visible[landmark] != 0;
            var top = LandmarkPoolingRules.Cell(coordinates[2 * landmark + 1], scaleY, g.WindowSize, g.Height) - half;
            var left = LandmarkPoolingRules.Cell(coordinates[2 * landmark], scaleX, g.WindowSize, g.Width) - half;
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
        return rectangles;
    }

    private readonly record struct BinRectangle(int RowStart, int RowEnd, int ColStart, int ColEnd)
    {
        public bool IsEmpty => RowEnd == RowStart;
    }

    private readonly struct ForwardJob(float* features, float* output, int* argmax, BinRectangle[] bins, LandmarkPoolingGeometry g)
    {
        public void Run(long firstPlane, long endPlane)
        {
            var planeSize = g.Height * g.Width;
            var binsPerLandmark = g.Bins * g.Bins;
            for (var plane = firstPlane; plane < endPlane; plane++)
            {
                var sample = (int)(plane / g.Channels);
                var channel = (int)(plane % g.Channels);
                var values = features + plane * planeSize;
                for (var landmark = 0; landmark < g.Landmarks; landmark++)
                {
                    var landmarkIndex = sample * g.Landmarks + landmark;
                    var target = ((long)landmarkIndex * g.Channels + channel) * binsPerLandmark;
                    var rectangleIndex = landmarkIndex * binsPerLandmark;
                    for (var bin = 0; bin < binsPerLandmark; bin++)
                    {
                        var rectangle = bins[rectangleIndex + bin];
                        if (rectangle.IsEmpty)
                        {
                            output[target + bin] = 0f;
                            argmax[target + bin] = -1;
                            continue;
                        }
                        // Row-major scan with strict '>' keeps the first maximum on ties.
                        var best = rectangle.RowStart * g.Width + rectangle.ColStart;
                        var bestValue = values[best];
                        for (var row = rectangle.RowStart; row < rectangle.RowEnd; row++)
                        {
                            var rowValues = values + row * g.Width;
                            for (var col = rectangle.ColStart; col < rectangle.ColEnd; col++)
                            {
                                if (rowValues[col] > bestValue)
                                {
                                    bestValue = rowValues[col];
                                    best = row * g.Width + col;
                                }
                            }
                        }
                        output[target + bin] = bestValue;
                        argmax[target + bin] = best;
                    }
                }
            }
        }
    }

    private readonly struct BackwardJob(float* gradOutput, int* argmax, float* gradFeatures, LandmarkPoolingGeometry g)
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
