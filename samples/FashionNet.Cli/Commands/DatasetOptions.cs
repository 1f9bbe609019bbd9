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
    public static Option<string> Format(params string[] allowed)
    {
        var option = new Option<string>("--format") { Description = $"Dataset layout: {string.Join(", ", allowed)}.", Required = true };
        option.AcceptOnlyFromAmong(allowed);
        return option;
    }

    /// <summary>Reads the dataset strictly; a <c>synthetic</c> folder is read through its In-shop layout.</summary>
    public static FashionDataset Read(string root, string format) =>
        DeepFashionReader.Read(format == "synthetic" ? SyntheticDatasetLayout.Under(root).InShop : root, Formats[format]);
}
