using System.Collections.Immutable;
using System.Text.Json.Serialization;
using FashionNet.Data;

namespace FashionNet.Evaluation;

/// <summary>Settings of a landmark evaluation (<see cref="LandmarkErrorAccumulator"/>).</summary>
public sealed record LandmarkEvaluationOptions
{
    /// <summary>The default settings: detection rates at normalized distances 0.02, 0.05, 0.1 and 0.2.</summary>
    public static LandmarkEvaluationOptions Default { get; } = new();

    /// <summary>
    /// Normalized distances (x divided by image width, y by image height) at which the detection rate is reported.
    /// </summary>
    public IReadOnlyList<double> DetectionThresholds { get; init; } = [0.02, 0.05, 0.1, 0.2];
}

/// <summary>Landmark localization error over visible landmarks.</summary>
/// <param name="ImageCount">Images added.</param>
/// <param name="VisibleLandmarkCount">Visible landmarks measured; occluded and truncated ones are not.</param>
/// <param name="MeanError">
/// Mean of the per-slot errors, over the slots with a visible landmark (the paper's "mean of 8"); null when none.
/// </param>
/// <param name="PooledError">Mean normalized distance over all visible landmarks together; null when none.</param>
/// <param name="PerSlot">The error of each landmark slot.</param>
/// <param name="DetectionRates">Share of visible landmarks within each normalized distance threshold.</param>
public sealed record LandmarkErrorResult(
    int ImageCount,
    int VisibleLandmarkCount,
    double? MeanError,
    double? PooledError,
    ImmutableArray<LandmarkSlotError> PerSlot,
    ImmutableArray<DetectionRate> DetectionRates);

/// <summary>The normalized error of one landmark slot.</summary>
/// <param name="Slot">The slot.</param>
/// <param name="VisibleCount">Images where this landmark is visible.</param>
/// <param name="Error">Mean normalized distance over those images; null when there are none.</param>
/// <param name="MeanOffset">
/// Mean of predicted minus true position over those images (x by width, y by height); null when there are none. Its
/// length is the systematic part of <paramref name="Error"/>: near the error when the slot is placed off the same way
/// on every image (a different landmark convention, or a pose unlike training's), near 0 when the misses scatter.
/// </param>
public sealed record LandmarkSlotError(LandmarkSlot Slot, int VisibleCount, double? Error, LandmarkOffset? MeanOffset);

/// <summary>A normalized displacement: x divided by the image width, y by its height (y grows downwards).</summary>
/// <param name="X">Horizontal part; positive to the right.</param>
/// <param name="Y">Vertical part; positive downwards.</param>
public readonly record struct LandmarkOffset(double X, double Y)
{
    /// <summary>The displacement's length.</summary>
    [JsonIgnore]
    public double Length => Math.Sqrt(X * X + Y * Y);
}

/// <summary>The share of visible landmarks predicted within a normalized distance of the truth.</summary>
/// <param name="Threshold">The normalized distance.</param>
/// <param name="Rate">The share, between 0 and 1 (0 when no landmark is visible).</param>
public readonly record struct DetectionRate(double Threshold, double Rate);

/// <summary>
/// Accumulates landmark normalized error: the Euclidean distance between predicted and true landmark with x divided by
/// the image width and y by the image height, over VISIBLE landmarks only. Occluded or truncated landmarks have no
/// reliable true position, and counting them with zero error (as multiplying both positions by visibility does) would
/// flatter the score, so they are left out entirely. Not thread-safe.
/// </summary>
public sealed class LandmarkErrorAccumulator
{
    private readonly ImmutableArray<double> _thresholds;
    private readonly double[] _slotErrorSums = new double[LandmarkLayout.SlotCount];
    private readonly double[] _slotOffsetXSums = new double[LandmarkLayout.SlotCount];
    private readonly double[] _slotOffsetYSums = new double[LandmarkLayout.SlotCount];
    private readonly int[] _slotCounts = new int[LandmarkLayout.SlotCount];
    private readonly long[] _withinThreshold;
    private int _images;

    /// <summary>Starts an empty accumulation.</summary>
    /// <param name="options">Detection thresholds; <see cref="LandmarkEvaluationOptions.Default"/> when null.</param>
    public LandmarkErrorAccumulator(LandmarkEvaluationOptions? options = null)
    {
        options ??= LandmarkEvaluationOptions.Default;
        ArgumentNullException.ThrowIfNull(options.DetectionThresholds, nameof(options));
        _thresholds = [.. options.DetectionThresholds.Distinct().Order()];
        if (_thresholds.Any(t => !(t > 0) || double.IsInfinity(t)))
            throw new ArgumentOutOfRangeException(nameof(options), "Detection thresholds must be positive and finite.");
        _withinThreshold = new long[_thresholds.Length];
    }

    /// <summary>Adds one image.</summary>
    /// <param name="predicted">Predicted positions in pixels, <c>x0, y0, x1, y1, ..</c> for the <see cref="LandmarkLayout.SlotCount"/> slots.</param>
    /// <param name="truth">The annotated landmarks of the <see cref="LandmarkLayout.SlotCount"/> slots; only visible ones are measured.</param>
    /// <param name="imageWidth">Width in pixels of the image the positions refer to.</param>
    /// <param name="imageHeight">Height in pixels of that image.</param>
    public void Add(ReadOnlySpan<float> predicted, ReadOnlySpan<Landmark> truth, float imageWidth, float imageHeight)
    {
        if (predicted.Length != 2 * LandmarkLayout.SlotCount)
            throw new ArgumentException($"Expected {2 * LandmarkLayout.SlotCount} predicted coordinates, got {predicted.Length}.", nameof(predicted));
        if (truth.Length != LandmarkLayout.SlotCount)
            throw new ArgumentException($"Expected {LandmarkLayout.SlotCount} true landmarks, got {truth.Length}.", nameof(truth));
        if (!(imageWidth > 0) || !(imageHeight > 0) || float.IsInfinity(imageWidth) || float.IsInfinity(imageHeight))
            throw new ArgumentOutOfRangeException(nameof(imageWidth), $"Image size {imageWidth} x {imageHeight} is not positive and finite.");

        for (int slot = 0; slot < LandmarkLayout.SlotCount; slot++)
        {
            if (truth[slot].Visibility != LandmarkVisibility.Visible) continue;
            double dx = ((double)predicted[2 * slot] - truth[slot].X) / imageWidth;
            double dy = ((double)predicted[2 * slot + 1] - truth[slot].Y) / imageHeight;
            double distance = Math.Sqrt(dx * dx + dy * dy);
            if (!double.IsFinite(distance))
                throw new ArgumentException($"Image {_images}, slot {(LandmarkSlot)slot}: a predicted or true coordinate is NaN or infinite.", nameof(predicted));
            _slotErrorSums[slot] += distance;
            _slotOffsetXSums[slot] += dx;
            _slotOffsetYSums[slot] += dy;
            _slotCounts[slot]++;
            for (int t = 0; t < _thresholds.Length; t++)
            {
                if (distance <= _thresholds[t]) _withinThreshold[t]++;
            }
        }

        _images++;
    }

    /// <summary>The error over everything added so far.</summary>
    public LandmarkErrorResult Result()
    {
        var perSlot = Enumerable.Range(0, LandmarkLayout.SlotCount)
            .Select(slot => _slotCounts[slot] == 0
                ? new LandmarkSlotError((LandmarkSlot)slot, 0, null, null)
                : new LandmarkSlotError((LandmarkSlot)slot, _slotCounts[slot], _slotErrorSums[slot] / _slotCounts[slot],
                    new LandmarkOffset(_slotOffsetXSums[slot] / _slotCounts[slot], _slotOffsetYSums[slot] / _slotCounts[slot])))
            .ToImmutableArray();
        int visible = _slotCounts.Sum();
        var measuredSlots = perSlot.Where(s => s.Error is not null).ToArray();
        return new LandmarkErrorResult(
            _images,
            visible,
            measuredSlots.Length == 0 ? null : measuredSlots.Average(s => s.Error!.Value),
            visible == 0 ? null : _slotErrorSums.Sum() / visible,
            perSlot,
            [.. _thresholds.Select((threshold, t) => new DetectionRate(threshold, visible == 0 ? 0 : (double)_withinThreshold[t] / visible))]);
    }
}
