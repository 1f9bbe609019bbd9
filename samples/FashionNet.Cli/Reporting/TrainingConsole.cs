using System.Globalization;
using FashionNet.Training;
using Spectre.Console;

namespace FashionNet.Cli.Reporting;

/// <summary>Runs a training with a live Spectre.Console display and writes the run's charts when it ends.</summary>
internal static class TrainingConsole
{
    /// <summary>Runs (or resumes) <paramref name="training"/> into <paramref name="runDirectory"/>; Ctrl+C stops after the current step.</summary>
    public static TrainingSummary Run(FashionNetTraining training, string runDirectory, bool resume, CancellationToken cancellationToken)
    {
        TrainingSummary? summary = null;
        try
        {
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    ProgressTask? epoch = null;
                    string heading = "";
                    var run = new TrainingRunOptions
                    {
                        Directory = runDirectory,
                        Resume = resume,
                        OnEpochStart = (stage, number, batches) =>
                        {
                            epoch?.StopTask();
                            heading = $"stage {stage} epoch {number}";
                            epoch = context.AddTask(Markup.Escape(heading), maxValue: Math.Max(1, batches));
                        },
                        OnLogEntry = entry =>
                        {
                            if (epoch is null) return;
                            if (entry.Kind == TrainingLogKind.Step)
                            {
                                epoch.Increment(1);
                                epoch.Description = Markup.Escape($"{heading}  {Describe(entry.Values, "loss")}  {entry.Values["images_per_second"]:F0} img/s");
                            }
                            else
                            {
                                epoch.Description = Markup.Escape($"{heading}  {Describe(entry.Values, "r@1", "r@10", "category_top3", "landmark_error", "skipped_images", "loss")}");
                                epoch.Value = epoch.MaxValue;
                            }
                        },
                        OnSkippedImage = skipped => AnsiConsole.MarkupLineInterpolated($"[yellow]skipped '{skipped.ImagePath}': {skipped.Reason}[/]"),
                    };
                    summary = training.Run(run, cancellationToken);
                });
        }
        finally
        {
            WriteCharts(runDirectory);
        }
        return summary!;
    }

    /// <summary>Formats the named values that are present, e.g. <c>loss 0.512 (triplet 0.21, landmarks 0.03)</c>.</summary>
    private static string Describe(IReadOnlyDictionary<string, double> values, params string[] names)
    {
        var parts = new List<string>();
        foreach (string name in names)
        {
            if (!values.TryGetValue(name, out double value)) continue;
            string text = $"{name} {value.ToString("0.000", CultureInfo.InvariantCulture)}";
            if (name == "loss")
            {
                var terms = values.Where(kv => kv.Key.StartsWith("loss/", StringComparison.Ordinal))
                    .Select(kv => $"{kv.Key[5..]} {kv.Value.ToString("0.000", CultureInfo.InvariantCulture)}");
                string joined = string.Join(", ", terms);
                if (joined.Length > 0) text += $" ({joined})";
            }
            parts.Add(text);
        }
        return string.Join("  ", parts);
    }

    private static void WriteCharts(string runDirectory)
    {
        string log = Path.Combine(runDirectory, "metrics.jsonl");
        if (!File.Exists(log)) return;
        var entries = TrainingLog.Read(log);
        if (entries.Count == 0) return;
        TrainingPlots.WriteLossCurves(entries, Path.Combine(runDirectory, "loss_curves.png"));
        if (entries.Any(e => e.Kind == TrainingLogKind.Epoch)) TrainingPlots.WriteValidationCurves(entries, Path.Combine(runDirectory, "validation.png"));
    }
}
