using System.Collections.Immutable;

namespace FashionNet.Evaluation;

/// <summary>Attribute top-k recall over all attributes and per attribute type.</summary>
/// <param name="ImageCount">Images added.</param>
/// <param name="ImagesWithPositives">Images with at least one positive attribute: the ones averaged over.</param>
/// <param name="Recall">Mean share of an image's positive attributes among its k best-scored attributes, per cut-off.</param>
/// <param name="PerType">The same measure restricted to the positives of one attribute type.</param>
public sealed record AttributeRecallResult(int ImageCount, int ImagesWithPositives, ImmutableArray<RateAtK> Recall,
    ImmutableArray<AttributeTypeRecall> PerType);

/// <summary>Attribute top-k recall for the positives of one attribute type.</summary>
/// <param name="AttributeType">The type code (DeepFashion: 1 texture, 2 fabric, 3 shape, 4 part, 5 style).</param>
/// <param name="Name">The type's name ("texture" .. "style", or "type N" for other codes).</param>
/// <param name="AttributeCount">Attributes of this type.</param>
/// <param name="ImagesWithPositives">Images with at least one positive attribute of this type: the ones averaged over.</param>
/// <param name="Recall">
/// Mean share of those positives among the image's k best-scored attributes (of all types), per cut-off; empty when no
/// image had a positive of this type.
/// </param>
public sealed record AttributeTypeRecall(int AttributeType, string Name, int AttributeCount, int ImagesWithPositives,
    ImmutableArray<RateAtK> Recall);

/// <summary>
/// Accumulates attribute top-k recall (the paper reports k = 3 and 5): all attribute scores of an image are ranked
/// (equal scores by lower attribute index), and the measure is the share of the image's positive attributes that
/// appear in the top k, averaged over images. Images without any positive attribute have no recall and are left out
/// (counted in <see cref="AttributeRecallResult.ImageCount"/> only). Per type, the top k is the same list, over all
/// attributes, and the share is that of the image's positives of that type, averaged over images with such positives.
/// Not thread-safe.
/// </summary>
public sealed class AttributeRecallAccumulator
{
    private readonly int[] _typeOfAttribute;
    private readonly ImmutableArray<int> _types;
    private readonly ImmutableArray<int> _ks;
    private readonly double[] _recallSums;
    private readonly double[,] _typeRecallSums;
    private readonly int[] _typeImages;
    private readonly int[] _topIndices;
    private int _images;
    private int _imagesWithPositives;

    /// <summary>Starts an empty accumulation.</summary>
    /// <param name="attributeTypes">The type code of each attribute (the last column of <c>list_attr_cloth.txt</c>); its length is the attribute count.</param>
    /// <param name="ks">Cut-offs; 3 and 5 when null.</param>
    public AttributeRecallAccumulator(IReadOnlyList<int> attributeTypes, IEnumerable<int>? ks = null)
    {
        ArgumentNullException.ThrowIfNull(attributeTypes);
        if (attributeTypes.Count == 0) throw new ArgumentException("There must be at least one attribute.", nameof(attributeTypes));
        _types = [.. attributeTypes.Distinct().Order()];
        _typeOfAttribute = [.. attributeTypes.Select(type => _types.IndexOf(type))];
        _ks = CutOffs.Normalize(ks ?? [3, 5], nameof(ks));
        _recallSums = new double[_ks.Length];
        _typeRecallSums = new double[_types.Length, _ks.Length];
        _typeImages = new int[_types.Length];
        _topIndices = new int[Math.Min(_ks[^1], attributeTypes.Count)];
    }

    /// <summary>The name of a DeepFashion attribute type code.</summary>
    public static string TypeName(int attributeType) => attributeType switch
    {
        1 => "texture",
        2 => "fabric",
        3 => "shape",
        4 => "part",
        5 => "style",
        _ => $"type {attributeType}",
    };

    /// <summary>Adds a batch.</summary>
    /// <param name="scores">Attribute scores, row-major <c>[batch, attributeCount]</c> (only their order counts).</param>
    /// <param name="positive">Whether each attribute of each image is positive, row-major <c>[batch, attributeCount]</c>.</param>
    public void Add(ReadOnlySpan<float> scores, ReadOnlySpan<bool> positive)
    {
        int attributeCount = _typeOfAttribute.Length;
        if (scores.Length != positive.Length || scores.Length % attributeCount != 0)
            throw new ArgumentException(
                $"{scores.Length} scores and {positive.Length} labels do not make whole rows of {attributeCount} attributes.", nameof(scores));
        Span<int> positivesPerType = stackalloc int[_types.Length];
        Span<int> foundPerType = stackalloc int[_types.Length];
        for (int image = 0; image < scores.Length / attributeCount; image++)
        {
            var row = scores.Slice(image * attributeCount, attributeCount);
            var labels = positive.Slice(image * attributeCount, attributeCount);
            CutOffs.RequireFinite(row, nameof(scores), _images);
            _images++;

            positivesPerType.Clear();
            int positives = 0;
            for (int a = 0; a < attributeCount; a++)
            {
                if (!labels[a]) continue;
                positives++;
                positivesPerType[_typeOfAttribute[a]]++;
            }

            if (positives == 0) continue;
            _imagesWithPositives++;
            for (int t = 0; t < _types.Length; t++)
            {
                if (positivesPerType[t] > 0) _typeImages[t]++;
            }

            CutOffs.TopIndices(row, _topIndices);
            foundPerType.Clear();
            int found = 0;
            int cut = 0;
            for (int rank = 0; rank <= _topIndices.Length && cut < _ks.Length; rank++)
            {
                while (cut < _ks.Length && (_ks[cut] == rank || rank == _topIndices.Length))
                {
                    _recallSums[cut] += (double)found / positives;
                    for (int t = 0; t < _types.Length; t++)
                    {
                        if (positivesPerType[t] > 0) _typeRecallSums[t, cut] += (double)foundPerType[t] / positivesPerType[t];
                    }

                    cut++;
                }

                if (rank < _topIndices.Length && labels[_topIndices[rank]])
                {
                    found++;
                    foundPerType[_typeOfAttribute[_topIndices[rank]]]++;
                }
            }
        }
    }

    /// <summary>The recall over everything added so far.</summary>
    /// <exception cref="InvalidOperationException">No image with a positive attribute was added.</exception>
    public AttributeRecallResult Result()
    {
        if (_imagesWithPositives == 0)
            throw new InvalidOperationException($"None of the {_images} images added has a positive attribute: attribute recall is undefined.");
        var perType = _types.Select((type, t) => new AttributeTypeRecall(
            type,
            TypeName(type),
            _typeOfAttribute.Count(index => index == t),
            _typeImages[t],
            _typeImages[t] == 0 ? [] : [.. _ks.Select((k, i) => new RateAtK(k, _typeRecallSums[t, i] / _typeImages[t]))]));
        return new AttributeRecallResult(_images, _imagesWithPositives,
            [.. _ks.Select((k, i) => new RateAtK(k, _recallSums[i] / _imagesWithPositives))], [.. perType]);
    }
}
