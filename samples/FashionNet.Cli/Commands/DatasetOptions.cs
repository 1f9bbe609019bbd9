using System.CommandLine;
using FashionNet.Data.Annotations;
using FashionNet.Data.Synthetic;

namespace FashionNet.Cli.Commands;

/// <summary>The <c>--data</c> / <c>--format</c> pair shared by the commands that read a dataset.</summary>
internal static class DatasetOptions
{
    /// <summary>Format names on the command line; <c>synthetic</c> is a folder written by <c>fashionnet data synth</c>.</summary>
    public static readonly IReadOnlyDictionary<string, DeepFashionFormat> Formats = new Dictionary<string, DeepFashionFormat>
    {
        ["inshop"] = DeepFashionFormat.InShop,
        ["c2s"] = DeepFashionFormat.ConsumerToShop,
        ["category"] = DeepFashionFormat.CategoryAttribute,
        ["landmarks"] = DeepFashionFormat.Landmarks,
        ["synthetic"] = DeepFashionFormat.InShop,
    };

    /// <summary>A <c>--format</c> option limited to the given names.</summary>
    public static Option<string> Format(params string[] allowed) => Format("--format", required: true, allowed);

    /// <summary>A dataset layout option with the given name, limited to the given names.</summary>
    public static Option<string> Format(string name, bool required, params string[] allowed)
    {
        var option = new Option<string>(name) { Description = $"Dataset layout: {string.Join(", ", allowed)}.", Required = required };
        option.AcceptOnlyFromAmong(allowed);
        return option;
    }

    /// <summary>Generates the built-in synthetic set (4 views per item, landmarks, categories, attributes) into <paramref name="directory"/> and reads it.</summary>
    public static FashionDataset Synthesize(string directory, int items, int imageSize, int seed, double trainItemFraction = 0.5)
    {
        var synthetic = SyntheticDataset.Generate(new SyntheticDatasetOptions
        {
            Items = items, ViewsPerItem = 4, ImageSize = imageSize, Seed = seed, TrainItemFraction = trainItemFraction,
        });
        var layout = SyntheticDatasetWriter.Write(synthetic, directory, overwrite: true);
        return DeepFashionReader.Read(layout.InShop, DeepFashionFormat.InShop);
    }

    /// <summary>The <c>--categories-from-path</c> flag of the commands that read In-shop folders.</summary>
    public static Option<bool> CategoriesFromPath() => new("--categories-from-path")
    {
        Description = "In-shop (--format inshop): take each image's garment category from its path, img/MEN|WOMEN/<Category>/...: "
            + "17 classes, the same for men and women.",
    };

    /// <summary>Reads the dataset strictly; a <c>synthetic</c> folder is read through its In-shop layout.</summary>
    public static FashionDataset Read(string root, string format, bool categoriesFromPath = false) =>
        Read(root, format, new ReaderOptions { InShopCategoriesFromPath = categoriesFromPath });

    /// <summary>Reads the dataset with the given options; a <c>synthetic</c> folder is read through its In-shop layout.</summary>
    public static FashionDataset Read(string root, string format, ReaderOptions options)
    {
        if (options.InShopCategoriesFromPath && format != "inshop")
            throw new ArgumentException($"--categories-from-path reads In-shop image paths (img/MEN|WOMEN/<Category>/...): it needs --format inshop, not {format}.");
        return DeepFashionReader.Read(format == "synthetic" ? SyntheticDatasetLayout.Under(root).InShop : root, Formats[format], options);
    }
}
