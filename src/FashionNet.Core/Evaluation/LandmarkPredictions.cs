using System.Text;
using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.IO;
using static System.FormattableString;

namespace FashionNet.Evaluation;

/// <summary>A model's landmarks for a list of images (to draw or export them).</summary>
/// <param name="SourcePositions">Positions in source-image pixels, <c>x0, y0, .., x7, y7</c> per image.</param>
/// <param name="VisibilityProbabilities">Predicted probability that each slot is visible, <c>p0, .., p7</c> per image.</param>
/// <param name="SourceSizes">Each source image's size (positions are normalized by it for the landmark error).</param>
public sealed record LandmarkPredictions(float[] SourcePositions, float[] VisibilityProbabilities, IReadOnlyList<ImageSize> SourceSizes)
{
    /// <summary>
    /// Writes one CSV row per image and slot (atomically): <c>image, image_width, image_height, slot, predicted_x,
    /// predicted_y, visible_probability, true_visibility, true_x, true_y</c>, positions in source-image pixels; the true columns are
    /// empty where the image has no annotation for the slot. Visibility as DeepFashion codes it: 0 visible, 1 occluded,
    /// 2 cut off.
    /// </summary>
    /// <param name="dataset">The dataset of the images.</param>
    /// <param name="sampleIndices">The dataset index of each image, in the order of the predictions.</param>
    /// <param name="path">The CSV file.</param>
    public void WriteCsv(FashionDataset dataset, IReadOnlyList<int> sampleIndices, string path)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(sampleIndices);
        if (SourceSizes.Count != sampleIndices.Count || SourcePositions.Length != 2 * LandmarkLayout.SlotCount * SourceSizes.Count
            || VisibilityProbabilities.Length != LandmarkLayout.SlotCount * SourceSizes.Count)
            throw new ArgumentException($"The predictions cover {SourceSizes.Count} images, not {sampleIndices.Count}.", nameof(sampleIndices));
        var text = new StringBuilder("image,image_width,image_height,slot,predicted_x,predicted_y,visible_probability,true_visibility,true_x,true_y\n");
        for (int row = 0; row < sampleIndices.Count; row++)
        {
            var sample = dataset.Samples[sampleIndices[row]];
            string image = sample.ImagePath.Contains(',') || sample.ImagePath.Contains('"') ? $"\"{sample.ImagePath.Replace("\"", "\"\"")}\"" : sample.ImagePath;
            for (int slot = 0; slot < LandmarkLayout.SlotCount; slot++)
            {
                int at = row * LandmarkLayout.SlotCount + slot;
                string truth = sample.Landmarks is { } landmarks && landmarks.IsPresent((LandmarkSlot)slot)
                    ? Invariant($"{(int)landmarks[(LandmarkSlot)slot].Visibility},{landmarks[(LandmarkSlot)slot].X},{landmarks[(LandmarkSlot)slot].Y}")
                    : ",,";
                text.Append(Invariant($"{image},{SourceSizes[row].Width},{SourceSizes[row].Height},{(LandmarkSlot)slot},{SourcePositions[2 * at]},{SourcePositions[2 * at + 1]},{VisibilityProbabilities[at]},{truth}\n"));
            }
        }
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
