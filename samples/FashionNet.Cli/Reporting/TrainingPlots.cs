using FashionNet.IO;
using FashionNet.Training;
using ScottPlot;

namespace FashionNet.Cli.Reporting;

/// <summary>PNG charts of a run's <c>metrics.jsonl</c>: loss terms per step, validation metrics per epoch.</summary>
internal static class TrainingPlots
{
    /// <summary>Writes the loss-curve chart (one line per loss term, steps of both stages laid end to end).</summary>
    public static void WriteLossCurves(IReadOnlyList<TrainingLogEntry> entries, string pngPath)
    {
        var steps = entries.Where(e => e.Kind == TrainingLogKind.Step).ToList();
        var plot = new Plot();
        foreach (string term in steps.SelectMany(e => e.Values.Keys).Distinct().Where(k => k.StartsWith("loss", StringComparison.Ordinal)))
        {
            var points = steps.Select((e, i) => (X: (double)i + 1, Y: e.Values.GetValueOrDefault(term, double.NaN)))
                .Where(p => double.IsFinite(p.Y)).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.ScatterLine(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            line.LegendText = term;
        }
        MarkStageBoundary(plot, steps);
        plot.Title("Training losses");
        plot.XLabel("optimizer step (both stages)");
        plot.YLabel("loss");
        plot.ShowLegend();
        Save(plot, pngPath);
    }

    /// <summary>Writes the validation chart (each metric logged at epoch ends).</summary>
    public static void WriteValidationCurves(IReadOnlyList<TrainingLogEntry> entries, string pngPath)
    {
        var epochs = entries.Where(e => e.Kind == TrainingLogKind.Epoch).ToList();
        var plot = new Plot();
        foreach (string metric in epochs.SelectMany(e => e.Values.Keys).Distinct().Where(k => !k.StartsWith("loss", StringComparison.Ordinal)))
        {
            var points = epochs.Select((e, i) => (X: (double)i + 1, Y: e.Values.GetValueOrDefault(metric, double.NaN)))
                .Where(p => double.IsFinite(p.Y)).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.ScatterLine(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            line.LegendText = metric;
        }
        plot.Title("Validation");
        plot.XLabel("epoch (both stages)");
        plot.ShowLegend();
        Save(plot, pngPath);
    }

    private static void MarkStageBoundary(Plot plot, List<TrainingLogEntry> steps)
    {
        int firstStage2 = steps.FindIndex(e => e.Stage == 2);
        if (firstStage2 > 0) plot.Add.VerticalLine(firstStage2 + 0.5, pattern: LinePattern.Dashed).LegendText = "stage 2 starts";
    }

    private static void Save(Plot plot, string pngPath) =>
        AtomicFile.WriteAllBytes(pngPath, plot.GetImageBytes(900, 500, ImageFormat.Png));
}
