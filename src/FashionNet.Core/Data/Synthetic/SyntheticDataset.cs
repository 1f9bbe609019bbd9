using System.Numerics;
using FashionNet.Data.Annotations;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Data.Synthetic;

/// <summary>
/// A deterministic synthetic DeepFashion set: garments drawn as polygons with colours and patterns, several views per
/// item (pose, scale, offset and occlusion jitter), with exact landmarks, visibility, bounding boxes, categories and
/// attributes. Every item has its own combination of category, colours and pattern, so retrieval is learnable, and all
/// views of an item share that look. Generation only plans the views (cheap); <see cref="Render"/> draws one.
/// </summary>
public sealed class SyntheticDataset
{
    private static readonly (string Name, int PoseType, int VariationType)[] Poses =
        [("front", 1, 1), ("side", 2, 2), ("full", 4, 1), ("additional", 5, 4)];

    private static readonly Rgb24[] Backgrounds = [new(214, 208, 198), new(198, 208, 218), new(222, 218, 206), new(205, 214, 200)];

    private static readonly Rgb24[] OccluderColors = [new(224, 172, 140), new(150, 105, 80), new(95, 75, 65), new(62, 64, 74)];

    private readonly ViewScene[] _scenes;

    private SyntheticDataset(SyntheticDatasetOptions options, IReadOnlyList<SyntheticItem> items, IReadOnlyList<SyntheticView> views, ViewScene[] scenes)
    {
        Options = options;
        Items = items;
        Views = views;
        _scenes = scenes;
    }

    /// <summary>Number of distinct looks (category x colours x pattern), the most items a set can have.</summary>
    public static int MaxItems { get; } = AllLooks().Count;

    /// <summary>The options the set was generated with.</summary>
    public SyntheticDatasetOptions Options { get; }

    /// <summary>Items, ordered by index.</summary>
    public IReadOnlyList<SyntheticItem> Items { get; }

    /// <summary>Views, ordered by item then view index.</summary>
    public IReadOnlyList<SyntheticView> Views { get; }

    /// <summary>Plans a synthetic set; the same options give the same set.</summary>
    /// <param name="options">Size and seed.</param>
    /// <returns>The planned set.</returns>
    public static SyntheticDataset Generate(SyntheticDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var random = new Random(Seeds.Derive(options.Seed, 0));
        List<(int Category, int Primary, int Secondary, GarmentPattern Pattern)> looks = AllLooks();
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(looks));

        int trainItems = Math.Clamp((int)Math.Round(options.Items * options.TrainItemFraction), 1, options.Items - 1);
        var items = new SyntheticItem[options.Items];
        var views = new List<SyntheticView>(options.Items * options.ViewsPerItem);
        var scenes = new List<ViewScene>(options.Items * options.ViewsPerItem);
        for (int i = 0; i < options.Items; i++)
        {
            var (category, primary, secondary, pattern) = looks[i];
            bool isTrain = i < trainItems;
            string split = isTrain ? "train" : (i - trainItems) % 2 == 0 ? "val" : "test";
            float patternScale = 0.06f + 0.06f * (float)random.NextDouble();
            items[i] = new SyntheticItem(i, $"id_{i + 1:D8}", GarmentCatalog.Categories[category], category + 1, primary, secondary,
                pattern, patternScale, isTrain, split, ItemAttributes(GarmentCatalog.Categories[category], primary, secondary, pattern));
            for (int v = 0; v < options.ViewsPerItem; v++)
            {
                (SyntheticView view, ViewScene scene) = PlanView(options, items[i], v);
                views.Add(view);
                scenes.Add(scene);
            }
        }

        return new SyntheticDataset(options, items, views, [.. scenes]);
    }

    /// <summary>Draws one view.</summary>
    /// <param name="view">A view of this set.</param>
    /// <returns>The image (<see cref="SyntheticDatasetOptions.ImageSize"/> square); the caller disposes it.</returns>
    public Image<Rgb24> Render(SyntheticView view)
    {
        ViewScene scene = SceneOf(view);
        int size = scene.Size;
        byte[] mask = GarmentMask(view.Item.Category, scene);
        SyntheticItem item = view.Item;
        Rgb24 primary = GarmentCatalog.Colors[item.PrimaryColor].Color, secondary = GarmentCatalog.Colors[item.SecondaryColor].Color;
        var image = new Image<Rgb24>(size, size);
        for (int y = 0; y < size; y++)
        {
            Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            for (int x = 0; x < size; x++)
            {
                var centre = new Vector2(x + 0.5f, y + 0.5f);
                Rgb24 color;
                if (scene.Occludes(centre)) color = scene.OccluderColor;
                else if (mask[y * size + x] != 0)
                {
                    Vector2 q = scene.ToPattern(centre);
                    color = Shade(PatternColor(item, q) ? secondary : primary, scene.Brightness * (1.04f - 0.08f * (q.Y + 0.5f)));
                }
                else color = Shade(scene.Background, 1 + scene.BackgroundGradient * (y / (float)size - 0.5f));

                row[x] = color;
            }
        }

        return image;
    }

    /// <summary>The garment's pixels in a view (row-major, 1 inside), before occlusion.</summary>
    internal byte[] GarmentMask(SyntheticView view) => GarmentMask(view.Item.Category, SceneOf(view));

    private ViewScene SceneOf(SyntheticView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        int index = view.Item.Index * Options.ViewsPerItem + view.ViewIndex;
        if ((uint)index >= (uint)Views.Count || !ReferenceEquals(Views[index], view))
            throw new ArgumentException("The view does not belong to this synthetic set.", nameof(view));
        return _scenes[index];
    }

    private static byte[] GarmentMask(GarmentCategory category, ViewScene scene)
    {
        Vector2[] outline = category.Outline.Select(scene.ToCanvas).ToArray();
        var mask = new byte[scene.Size * scene.Size];
        PolygonRasterizer.Fill(outline, mask, scene.Size, scene.Size, 1);
        return mask;
    }

    private static (SyntheticView View, ViewScene Scene) PlanView(SyntheticDatasetOptions options, SyntheticItem item, int viewIndex)
    {
        var random = new Random(Seeds.Derive(options.Seed, item.Index + 1, viewIndex + 1));
        var (poseName, poseType, variationType) = Poses[viewIndex % Poses.Length];
        int size = options.ImageSize;
        float Uniform(float low, float high) => low + (high - low) * (float)random.NextDouble();

        float height = size * poseName switch { "full" => Uniform(0.5f, 0.62f), "additional" => Uniform(0.85f, 1.05f), _ => Uniform(0.64f, 0.8f) };
        float squash = poseName == "side" ? Uniform(0.7f, 0.85f) : Uniform(0.92f, 1f);
        var center = new Vector2(size * (0.5f + Uniform(-0.08f, 0.08f)), size * (0.5f + Uniform(-0.06f, 0.06f)));
        float rotation = Uniform(-8, 8) * MathF.PI / 180;
        float brightness = Uniform(0.9f, 1.1f);
        Rgb24 background = Jitter(Backgrounds[random.Next(Backgrounds.Length)], random);
        float gradient = Uniform(-0.1f, 0.1f);
        var scene = new ViewScene(size, center, height, item.Category.WidthScale * squash, rotation, brightness, background, gradient,
            Occluder: null, OccluderColors[random.Next(OccluderColors.Length)]);

        IReadOnlyList<LandmarkSlot> slots = LandmarkLayout.SlotsOf(item.Category.ClothesType);
        if (random.NextDouble() < options.OcclusionProbability)
        {
            // An arm- or bag-like block over one landmark, so occlusion hides garment parts the model must reason about.
            Vector2 anchor = scene.ToCanvas(item.Category.Landmarks[(int)slots[random.Next(slots.Count)]]);
            var half = new Vector2(size * Uniform(0.05f, 0.11f), size * Uniform(0.12f, 0.25f));
            Vector2 shift = new Vector2(Uniform(-0.5f, 0.5f), Uniform(-0.5f, 0.5f)) * half;
            scene = scene with { Occluder = (anchor + shift - half, anchor + shift + half) };
        }

        var landmarks = new Landmark[LandmarkLayout.SlotCount];
        foreach (LandmarkSlot slot in slots)
        {
            // Written as integer pixel indices (the list files' format); pixel i covers the continuous [i, i + 1).
            Vector2 point = scene.ToCanvas(item.Category.Landmarks[(int)slot]);
            int x = (int)MathF.Round(point.X - 0.5f), y = (int)MathF.Round(point.Y - 0.5f);
            LandmarkVisibility visibility =
                x < 0 || y < 0 || x >= size || y >= size ? LandmarkVisibility.Truncated
                : scene.Occludes(new Vector2(x + 0.5f, y + 0.5f)) ? LandmarkVisibility.Occluded
                : LandmarkVisibility.Visible;
            landmarks[(int)slot] = new Landmark(x, y, visibility);
        }

        string status = item.IsTrain ? "train" : viewIndex % 2 == 0 ? "query" : "gallery";
        string extension = options.ImageFormat == SyntheticImageFormat.Png ? "png" : "jpg";
        string name = $"img/SYNTH/{item.Category.Name}/{item.ItemId}/01_{viewIndex + 1}_{poseName}.{extension}";
        var view = new SyntheticView(item, viewIndex, name, poseType, variationType,
            LandmarkSet.FromFileOrder(item.Category.ClothesType, [.. slots.Select(s => landmarks[(int)s])]),
            GarmentBox(GarmentMask(item.Category, scene), size), status);
        return (view, scene);
    }

    private static BoundingBox GarmentBox(byte[] mask, int size)
    {
        int x1 = size, y1 = size, x2 = -1, y2 = -1;
        for (int y = 0; y < size; y++)
        {
            ReadOnlySpan<byte> row = mask.AsSpan(y * size, size);
            int first = row.IndexOf((byte)1);
            if (first < 0) continue;
            x1 = Math.Min(x1, first);
            x2 = Math.Max(x2, row.LastIndexOf((byte)1));
            y1 = Math.Min(y1, y);
            y2 = y;
        }

        if (x2 < 0) throw new InvalidOperationException("A synthetic garment fell entirely outside its canvas.");
        return new BoundingBox(x1, y1, x2, y2);
    }

    private static sbyte[] ItemAttributes(GarmentCategory category, int primary, int secondary, GarmentPattern pattern)
    {
        var attributes = new sbyte[GarmentCatalog.Attributes.Count];
        attributes.AsSpan().Fill(-1);
        attributes[primary] = attributes[secondary] = 1;
        attributes[GarmentCatalog.PatternAttributeOffset + (int)pattern] = 1;
        Span<sbyte> sleeves = attributes.AsSpan(GarmentCatalog.SleeveAttributeOffset, GarmentCatalog.SleeveNames.Count);
        // Sleeve length does not apply to trousers and skirts: unknown, which readers turn into a masked label.
        if (category.Sleeves == SleeveLength.None) sleeves.Clear();
        else sleeves[(int)category.Sleeves - 1] = 1;
        return attributes;
    }

    private static bool PatternColor(SyntheticItem item, Vector2 q)
    {
        float p = item.PatternScale;
        switch (item.Pattern)
        {
            case GarmentPattern.Striped:
                return ((int)MathF.Floor(q.Y / p) & 1) == 1;
            case GarmentPattern.Checked:
                return (((int)MathF.Floor(q.X / p) + (int)MathF.Floor(q.Y / p)) & 1) == 1;
            case GarmentPattern.Dotted:
                float cell = 1.6f * p;
                var offset = new Vector2(q.X / cell - MathF.Floor(q.X / cell) - 0.5f, q.Y / cell - MathF.Floor(q.Y / cell) - 0.5f);
                return offset.Length() < 0.3f;
            case GarmentPattern.ColourBlock:
                return q.Y > 0;
            default:
                return false;
        }
    }

    private static Rgb24 Shade(Rgb24 color, float factor) =>
        new(Channel(color.R * factor), Channel(color.G * factor), Channel(color.B * factor));

    private static byte Channel(float value) => (byte)Math.Clamp((int)MathF.Round(value), 0, 255);

    private static Rgb24 Jitter(Rgb24 color, Random random) =>
        new(Channel(color.R + random.Next(-10, 11)), Channel(color.G + random.Next(-10, 11)), Channel(color.B + random.Next(-10, 11)));

    private static List<(int Category, int Primary, int Secondary, GarmentPattern Pattern)> AllLooks()
    {
        var looks = new List<(int, int, int, GarmentPattern)>();
        int colors = GarmentCatalog.Colors.Count;
        for (int category = 0; category < GarmentCatalog.Categories.Count; category++)
            for (int primary = 0; primary < colors; primary++)
            {
                looks.Add((category, primary, primary, GarmentPattern.Solid));
                foreach (GarmentPattern pattern in Enum.GetValues<GarmentPattern>().Where(p => p != GarmentPattern.Solid))
                    for (int secondary = 0; secondary < colors; secondary++)
                        if (secondary != primary) looks.Add((category, primary, secondary, pattern));
            }

        return looks;
    }
}
