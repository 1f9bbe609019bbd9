using System.Security.Cryptography;
using FashionNet.Data;
using FashionNet.Data.Imaging;
using FashionNet.Data.Synthetic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Tests.Data.Synthetic;

public sealed class SyntheticDatasetTests : IDisposable
{
    private static readonly SyntheticDatasetOptions Small = new() { Items = 24, ViewsPerItem = 4, ImageSize = 64, Seed = 5 };

    private readonly string _dir = Directory.CreateTempSubdirectory("fashionnet-synth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string> Hashes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void Same_seed_writes_the_same_bytes_and_another_seed_does_not()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b"), c = Path.Combine(_dir, "c");
        SyntheticDatasetWriter.Write(SyntheticDataset.Generate(Small), a);
        SyntheticDatasetWriter.Write(SyntheticDataset.Generate(Small), b);
        SyntheticDatasetWriter.Write(SyntheticDataset.Generate(Small with { Seed = 6 }), c);
        Dictionary<string, string> hashesA = Hashes(a);
        Assert.Equal(hashesA, Hashes(b));
        Assert.NotEqual(hashesA, Hashes(c));
        Assert.Equal(24 * 4 * 3 + 6 + 7 + 3, hashesA.Count);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_dir), e => Path.GetFileName(e).StartsWith('.'));
    }

    [Fact]
    public void Every_item_has_its_own_look_and_all_views_share_it()
    {
        SyntheticDataset set = SyntheticDataset.Generate(Small with { Items = 200 });
        Assert.Equal(200, set.Items.Select(i => (i.CategoryLabel, i.PrimaryColor, i.SecondaryColor, i.Pattern)).Distinct().Count());
        Assert.All(set.Views, v => Assert.Same(set.Items[v.Item.Index], v.Item));
        Assert.True(set.Items.Select(i => i.CategoryLabel).Distinct().Count() == GarmentCatalog.Categories.Count);
    }

    [Fact]
    public void Splits_follow_the_in_shop_protocol()
    {
        SyntheticDataset set = SyntheticDataset.Generate(Small);
        var trainItems = set.Items.Where(i => i.IsTrain).Select(i => i.ItemId).ToHashSet();
        Assert.Equal(12, trainItems.Count);
        Assert.All(set.Views, v => Assert.Equal(trainItems.Contains(v.Item.ItemId), v.InShopStatus == "train"));
        foreach (var item in set.Items.Where(i => !i.IsTrain))
        {
            var statuses = set.Views.Where(v => v.Item == item).Select(v => v.InShopStatus).ToList();
            Assert.Contains("query", statuses);
            Assert.Contains("gallery", statuses);
            Assert.NotEqual("train", item.Split);
        }
    }

    [Fact]
    public void Landmarks_lie_on_the_drawn_garment_and_visibility_is_exact()
    {
        SyntheticDataset set = SyntheticDataset.Generate(Small with { Items = 60, ImageSize = 96, OcclusionProbability = 0.5 });
        var counts = new int[3];
        foreach (SyntheticView view in set.Views)
        {
            byte[] mask = set.GarmentMask(view);
            int size = set.Options.ImageSize;
            Assert.Equal(LandmarkLayout.SlotsOf(view.Item.Category.ClothesType).Select(s => (int)s).Order(),
                Enumerable.Range(0, 8).Where(s => view.Landmarks.IsPresent((LandmarkSlot)s)));
            using Image<Rgb24> image = set.Render(view);
            for (int slot = 0; slot < 8; slot++)
            {
                if (!view.Landmarks.IsPresent((LandmarkSlot)slot)) continue;
                Landmark l = view.Landmarks[(LandmarkSlot)slot];
                counts[(int)l.Visibility]++;
                bool inside = l.X >= 0 && l.Y >= 0 && l.X < size && l.Y < size;
                Assert.Equal(!inside, l.Visibility == LandmarkVisibility.Truncated);
                if (!inside) continue;
                Assert.True(mask[(int)l.Y * size + (int)l.X] == 1, $"{view.ImageName} slot {(LandmarkSlot)slot} at ({l.X}, {l.Y}) is off the garment.");
                Assert.True(l.X >= view.Box.X1 && l.X <= view.Box.X2 && l.Y >= view.Box.Y1 && l.Y <= view.Box.Y2);
            }

            // The box is tight around the garment pixels.
            int top = (int)view.Box.Y1, bottom = (int)view.Box.Y2, leftmost = (int)view.Box.X1, rightmost = (int)view.Box.X2;
            Assert.Contains((byte)1, mask.AsSpan(top * size, size).ToArray());
            Assert.Contains((byte)1, mask.AsSpan(bottom * size, size).ToArray());
            Assert.Contains(Enumerable.Range(0, size), y => mask[y * size + leftmost] == 1);
            Assert.Contains(Enumerable.Range(0, size), y => mask[y * size + rightmost] == 1);
            Assert.DoesNotContain(Enumerable.Range(0, size), y => leftmost > 0 && mask[y * size + leftmost - 1] == 1);
        }

        Assert.All(counts, c => Assert.True(c > 0, "Each visibility (visible, occluded, truncated) should occur."));
    }

    [Fact]
    public void Left_slots_are_on_the_wearers_left_which_is_the_image_right_for_frontal_views()
    {
        SyntheticDataset set = SyntheticDataset.Generate(Small);
        var frontal = set.Views.Where(v => v.PoseType == 1).ToList();
        Assert.NotEmpty(frontal);
        foreach (SyntheticView view in frontal)
        {
            var l = view.Landmarks[LandmarkSlot.LeftHem];
            var r = view.Landmarks[LandmarkSlot.RightHem];
            Assert.True(l.X > r.X);
        }
    }

    [Fact]
    public void Written_files_have_the_official_layouts()
    {
        SyntheticDataset set = SyntheticDataset.Generate(Small);
        SyntheticDatasetLayout layout = SyntheticDatasetWriter.Write(set, Path.Combine(_dir, "set"));
        string[] partition = File.ReadAllLines(Path.Combine(layout.InShop, "Eval/list_eval_partition.txt"));
        Assert.Equal("96", partition[0]);
        Assert.Equal("image_name item_id evaluation_status", partition[1]);
        Assert.Equal(98, partition.Length);
        string[] first = partition[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([set.Views[0].ImageName, set.Views[0].Item.ItemId, set.Views[0].InShopStatus], first);

        string[] landmarks = File.ReadAllLines(Path.Combine(layout.LandmarkDetection, "Anno/list_landmarks.txt"));
        for (int i = 0; i < set.Views.Count; i++)
        {
            string[] tokens = landmarks[i + 2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            SyntheticView view = set.Views[i];
            IReadOnlyList<LandmarkSlot> slots = LandmarkLayout.SlotsOf(view.Item.Category.ClothesType);
            Assert.Equal(3 + 3 * slots.Count, tokens.Length);
            Assert.Equal(((int)view.Item.Category.ClothesType).ToString(), tokens[1]);
            for (int k = 0; k < slots.Count; k++)
            {
                Landmark l = view.Landmarks[slots[k]];
                Assert.Equal([((int)l.Visibility).ToString(), l.X.ToString(), l.Y.ToString()], tokens[(3 + 3 * k)..(6 + 3 * k)]);
            }
        }

        string[] attributes = File.ReadAllLines(Path.Combine(layout.CategoryAndAttribute, "Anno/list_attr_img.txt"));
        Assert.All(attributes.Skip(2), row => Assert.Equal(1 + GarmentCatalog.Attributes.Count, row.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length));
        string[] items = File.ReadAllLines(Path.Combine(layout.InShop, "Anno/list_item_inshop.txt"));
        Assert.Equal(["24", .. set.Items.Select(i => i.ItemId)], items);
        string[] categories = File.ReadAllLines(Path.Combine(layout.CategoryAndAttribute, "Anno/list_category_cloth.txt"));
        Assert.Equal("Tee                 1", categories[2]);

        using var decoded = new ImageDecoder().Decode(Path.Combine(layout.InShop, set.Views[5].ImageName));
        Assert.Equal(64, decoded.Width);
    }

    [Fact]
    public void Png_images_decode_to_exactly_the_rendered_pixels()
    {
        SyntheticDataset set = SyntheticDataset.Generate(Small with { Items = 2, ViewsPerItem = 2, ImageFormat = SyntheticImageFormat.Png });
        SyntheticDatasetLayout layout = SyntheticDatasetWriter.Write(set, Path.Combine(_dir, "png"));
        using Image<Rgb24> rendered = set.Render(set.Views[3]);
        using Image<Rgb24> decoded = new ImageDecoder().Decode(Path.Combine(layout.CategoryAndAttribute, set.Views[3].ImageName));
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
                Assert.Equal(rendered[x, y], decoded[x, y]);
    }

    [Fact]
    public void A_cancelled_write_leaves_nothing_behind()
    {
        SyntheticDataset set = SyntheticDataset.Generate(Small);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SyntheticDatasetWriter.Write(set, Path.Combine(_dir, "cancelled"), cancellationToken: cancel.Token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public void Refuses_to_write_over_an_existing_set_unless_asked()
    {
        SyntheticDataset set = SyntheticDataset.Generate(Small with { Items = 2, ViewsPerItem = 2 });
        string target = Path.Combine(_dir, "existing");
        SyntheticDatasetWriter.Write(set, target);
        Assert.Throws<IOException>(() => SyntheticDatasetWriter.Write(set, target));
        SyntheticDatasetWriter.Write(SyntheticDataset.Generate(Small with { Items = 3, ViewsPerItem = 2 }), target, overwrite: true);
        Assert.Equal("3", File.ReadLines(Path.Combine(target, "inshop/Anno/list_item_inshop.txt")).First());
        Assert.Single(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public void Views_of_an_item_look_alike_so_retrieval_is_learnable()
    {
        // A crude colour-histogram feature inside the garment box already finds the right item for most queries,
        // far above chance: the items differ by design and the views share their look.
        SyntheticDataset set = SyntheticDataset.Generate(Small with { Items = 60, ImageSize = 64 });
        float[] Histogram(SyntheticView view)
        {
            using Image<Rgb24> image = set.Render(view);
            var bins = new float[64];
            for (int y = (int)view.Box.Y1; y <= (int)view.Box.Y2; y++)
                for (int x = (int)view.Box.X1; x <= (int)view.Box.X2; x++)
                {
                    Rgb24 p = image[x, y];
                    bins[(p.R >> 6) * 16 + (p.G >> 6) * 4 + (p.B >> 6)]++;
                }

            float norm = MathF.Sqrt(bins.Sum(b => b * b));
            return [.. bins.Select(b => b / norm)];
        }

        var queries = set.Views.Where(v => v.InShopStatus == "query").ToList();
        var gallery = set.Views.Where(v => v.InShopStatus == "gallery").ToList();
        float[][] galleryFeatures = [.. gallery.Select(Histogram)];
        int hits = 0;
        foreach (SyntheticView query in queries)
        {
            float[] q = Histogram(query);
            int best = Enumerable.Range(0, gallery.Count).MaxBy(g => q.Zip(galleryFeatures[g], (a, b) => a * b).Sum());
            hits += gallery[best].Item == query.Item ? 1 : 0;
        }

        double hitRate = hits / (double)queries.Count;
        Assert.True(hitRate > 0.5, $"Colour-histogram hit@1 {hitRate:F2} on {queries.Count} queries (chance {1.0 / 30:F2}).");
    }
}
