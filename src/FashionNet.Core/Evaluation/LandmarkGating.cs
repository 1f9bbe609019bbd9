using System.Collections.Immutable;
using FashionNet.Data;
using FashionNet.Data.Annotations;

namespace FashionNet.Evaluation;

/// <summary>
/// How often the local branch pools each landmark slot: the share of images whose predicted visibility passes the
/// gate, per slot, over all images and per clothes type. A gate that means something pools the collar and sleeves of
/// upper-body garments and leaves them off trousers.
/// </summary>
/// <param name="Threshold">The model's visibility threshold the shares were counted at.</param>
/// <param name="All">Every evaluated image.</param>
/// <param name="ByClothesType">Images grouped by their annotated clothes type (only types present).</param>
public sealed record LandmarkGatingResult(double Threshold, LandmarkGatingGroup All, ImmutableArray<LandmarkGatingGroup> ByClothesType);

/// <summary>The pooled share of each slot over one group of images.</summary>
/// <param name="Group">Which images: <c>all</c> or a clothes type (<c>upper</c>, <c>lower</c>, <c>fullBody</c>).</param>
/// <param name="ImageCount">Images in the group.</param>
/// <param name="MeanPooledSlots">Slots pooled per image, on average.</param>
/// <param name="Slots">Share of the group's images pooling each slot, in slot order.</param>
public sealed record LandmarkGatingGroup(string Group, int ImageCount, double MeanPooledSlots, ImmutableArray<LandmarkSlotShare> Slots);

/// <summary>The share of a group's images that pool one slot.</summary>
/// <param name="Slot">The slot.</param>
/// <param name="Share">Share of images whose visibility probability for the slot is above the threshold.</param>
public sealed record LandmarkSlotShare(LandmarkSlot Slot, double Share);

/// <summary>Counts <see cref="LandmarkGatingResult"/> from a model's predictions.</summary>
public static class LandmarkGating
{
    /// <summary>The gating of <paramref name="predictions"/> at <paramref name="threshold"/>.</summary>
    /// <param name="dataset">The dataset the predictions index into (for the clothes types).</param>
    /// <param name="predictions">Predictions with visibility probabilities.</param>
    /// <param name="threshold">The gate: a slot is pooled when its visibility probability is above it.</param>
    public static LandmarkGatingResult Of(FashionDataset dataset, DatasetPredictions predictions, double threshold)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(predictions);
        const int slots = LandmarkLayout.SlotCount;
        var rows = Enumerable.Range(0, predictions.SampleIndices.Count).ToList();
        var byType = rows
            .Where(row => dataset.Samples[predictions.SampleIndices[row]].ClothesType is not null)
            .GroupBy(row => dataset.Samples[predictions.SampleIndices[row]].ClothesType!.Value)
            .OrderBy(group => group.Key)
            .Select(group => Group(JsonName(group.Key), [.. group]))
            .ToImmutableArray();
        return new LandmarkGatingResult(threshold, Group("all", rows), byType);

        LandmarkGatingGroup Group(string name, IReadOnlyList<int> groupRows)
        {
            var pooled = new int[slots];
            foreach (int row in groupRows)
            {
                for (int slot = 0; slot < slots; slot++)
                    if (predictions.Landmarks.VisibilityProbabilities[row * slots + slot] > threshold) pooled[slot]++;
            }
            double count = Math.Max(1, groupRows.Count);
            return new LandmarkGatingGroup(name, groupRows.Count, pooled.Sum() / count,
                [.. pooled.Select((c, slot) => new LandmarkSlotShare((LandmarkSlot)slot, c / count))]);
        }
    }

    private static string JsonName(ClothesType type) => type switch
    {
        ClothesType.Upper => "upper",
        ClothesType.Lower => "lower",
        _ => "fullBody",
    };
}
