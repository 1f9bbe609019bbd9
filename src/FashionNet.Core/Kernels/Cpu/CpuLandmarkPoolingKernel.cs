using System.Buffers;
using TorchSharp;

namespace FashionNet.Kernels.Cpu;

/// <summary>
/// Landmark pooling in managed code over the tensors' own memory. Work is split into ranges of feature planes
/// (one plane = one sample and channel), so each thread reads a plane while it is in cache and pools every landmark's
/// bins from it; in backward it owns the gradient plane it writes, clearing it and adding the routed gradients in one
/// pass: no atomics, no separate zero-fill of the feature-sized gradient, and a deterministic summation order.
/// </summary>
internal sealed unsafe class CpuLandmarkPoolingKernel : ILandmarkPoolingKernel
{
    /// <summary>The kernel holds no state; one instance serves every call.</summary>
    public static CpuLandmarkPoolingKernel Instance { get; } = new();

    /// <summary>A range of fewer planes than this is not worth handing to another thread.</summary>
    private const long MinimumPlanesPerRange = 32;

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
            ParallelRanges.Run((long)geometry.Batch * geometry.Channels, MinimumPlanesPerRange, body);
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
        var body = new BackwardBody(
            geometry.OutputElements == 0 ? null : TensorMemory.Pointer<float>(gradOutput),
            geometry.OutputElements == 0 ? null : TensorMemory.Pointer<int>(argmax),
            TensorMemory.Pointer<float>(gradFeatures), geometry);
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
    }

    private readonly record struct BinRectangle(int RowStart, int RowEnd, int ColStart, int ColEnd)
    {
        public bool IsEmpty => RowEnd == RowStart;
    }

    private readonly struct ForwardBody(float* features, float* output, int* argmax, BinRectangle[] rectangles, LandmarkPoolingGeometry g)
        : IRangeBody
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
                        var rectangle = rectangles[rectangleIndex + bin];
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
