using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FashionNet.Evaluation;
using FashionNet.IO;
using FashionNet.Training;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet ablation</c>: gathers the runs of the local-branch ablation (the global branch alone against the full
/// FashionNet, several seeds each) into one machine-readable file: per run its seed, config, training wall time, test
/// hit rates and robot-set landmark error; per variant the mean and standard deviation over seeds; and the paired
/// bootstrap interval of the full model's R@1 gain over queries. Each run folder must hold what <c>train</c> writes
/// (<c>config.json</c>, <c>summary.json</c>) and two <c>evaluate --out</c> results: <c>test.json</c> (the test split)
/// and <c>robot.json</c> (the hand-annotated landmark set).
/// </summary>
internal static class AblationCommand
{
    private static readonly int[] ReportedKs = [1, 5, 10, 20];

    public static Command Create()
    {
        var global = new Option<DirectoryInfo[]>("--global") { Description = "Run folders of the global-branch-only variant.", Required = true, AllowMultipleArgumentsPerToken = true };
        var full = new Option<DirectoryInfo[]>("--full") { Description = "Run folders of the full FashionNet.", Required = true, AllowMultipleArgumentsPerToken = true };
        var config = new Option<string>("--config") { Description = "The committed config file the runs were trained from (recorded as given).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The ablation file to write.", DefaultValueFactory = _ => new FileInfo("docs/results/ablation.json") };
        var command = new Command("ablation", "Summarize the ablation runs (global vs full, several seeds): means, spreads and a paired bootstrap interval.")
        {
            global, full, config, output,
        };
        command.SetAction(parse => Run(parse.GetValue(global)!, parse.GetValue(full)!, parse.GetValue(config)!, parse.GetValue(output)!.FullName));
        return command;
    }

    private sealed record RunResult(string Variant, string Folder, int Seed, double TrainingSeconds, BenchmarkReport Test, double? RobotLandmarkError);

    private static int Run(DirectoryInfo[] globalRuns, DirectoryInfo[] fullRuns, string config, string outputPath)
    {
        var runs = globalRuns.Select(d => Read("global", d)).Concat(fullRuns.Select(d => Read("full", d))).ToList();
        var queryCounts = runs.Select(r => r.Test.Retrieval!.QueryCount).Distinct().ToList();
        if (queryCounts.Count != 1) throw new ArgumentException($"The runs were tested on different query sets ({string.Join(", ", queryCounts)} queries).");

        var hitsAt1 = (string variant) => runs.Where(r => r.Variant == variant)
            .Select(r => (IReadOnlyList<double>)[.. r.Test.Retrieval!.FirstHitRanks.Select(rank => rank == 1 ? 1.0 : 0.0)]).ToList();
        var difference = PairedBootstrap.MeanDifference(hitsAt1("global"), hitsAt1("full"));

        var document = new JsonObject
        {
            ["config"] = config,
            ["runs"] = new JsonArray([.. runs.Select(RunNode)]),
            ["summary"] = new JsonObject
            {
                ["global"] = VariantNode(runs.Where(r => r.Variant == "global").ToList()),
                ["full"] = VariantNode(runs.Where(r => r.Variant == "full").ToList()),
                ["r@1FullMinusGlobal"] = new JsonObject
                {
                    ["estimate"] = difference.Estimate,
                    ["lower95"] = difference.Lower,
                    ["upper95"] = difference.Upper,
                    ["method"] = $"paired bootstrap over {difference.QueryCount} test queries, {difference.Resamples} resamples, per-query hit@1 averaged over each variant's seeds",
                },
            },
        };
        AtomicFile.WriteAllText(outputPath, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var table = new Table().Title("ablation").AddColumn("variant").AddColumn("seeds", c => c.RightAligned());
        foreach (int k in ReportedKs) table.AddColumn($"R@{k} mean ± sd", c => c.RightAligned());
        table.AddColumn("robot landmark error", c => c.RightAligned());
        foreach (string variant in new[] { "global", "full" })
        {
            var selected = runs.Where(r => r.Variant == variant).ToList();
            var errors = selected.Where(r => r.RobotLandmarkError is not null).Select(r => r.RobotLandmarkError!.Value).ToList();
            table.AddRow([variant, selected.Count.ToString(CultureInfo.InvariantCulture),
                .. ReportedKs.Select(k => MeanSd(selected.Select(r => HitRate(r, k)).ToList())),
                errors.Count > 0 ? MeanSd(errors) : "-"]);
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(
            $"R@1 full - global: {difference.Estimate:+0.0000;-0.0000}, 95% interval [[{difference.Lower:+0.0000;-0.0000}, {difference.Upper:+0.0000;-0.0000}]]; written to [bold]{outputPath}[/]");
        return 0;
    }

    private static RunResult Read(string variant, DirectoryInfo folder)
    {
        string Require(string name) => File.Exists(Path.Combine(folder.FullName, name)) ? Path.Combine(folder.FullName, name)
            : throw new FileNotFoundException($"Run folder '{folder.FullName}' has no {name}.", Path.Combine(folder.FullName, name));
        var options = TrainingOptions.Load(Require("config.json"));
        var summary = TrainingSummary.Read(Require("summary.json"));
        if (summary.Resumed) throw new ArgumentException($"'{folder.FullName}' was resumed: its summary does not cover the whole training time.");
        var test = EvaluationJson.ReadReport(Require("test.json"));
        if (test.Retrieval is null) throw new ArgumentException($"'{Path.Combine(folder.FullName, "test.json")}' holds no retrieval results.");
        var robot = EvaluationJson.ReadReport(Require("robot.json"));
        return new RunResult(variant, Path.GetRelativePath(Environment.CurrentDirectory, folder.FullName), options.Seed, summary.Elapsed.TotalSeconds, test,
            robot.Landmarks?.MeanError);
    }

    private static double HitRate(RunResult run, int k) => run.Test.Retrieval!.HitRate.Single(r => r.K == k).Rate;

    private static JsonObject RunNode(RunResult run)
    {
        var node = new JsonObject
        {
            ["variant"] = run.Variant,
            ["seed"] = run.Seed,
            ["folder"] = run.Folder,
            ["trainingWallSeconds"] = Math.Round(run.TrainingSeconds, 1),
        };
        foreach (int k in ReportedKs) node[$"r@{k}"] = HitRate(run, k);
        node["robotLandmarkError"] = run.RobotLandmarkError;
        return node;
    }

    private static JsonObject VariantNode(List<RunResult> runs)
    {
        var node = new JsonObject { ["seeds"] = new JsonArray([.. runs.Select(r => (JsonNode)r.Seed)]) };
        foreach (int k in ReportedKs)
        {
            var rates = runs.Select(r => HitRate(r, k)).ToList();
            node[$"r@{k}"] = new JsonObject { ["mean"] = rates.Average(), ["sd"] = StandardDeviation(rates) };
        }
        var errors = runs.Where(r => r.RobotLandmarkError is not null).Select(r => r.RobotLandmarkError!.Value).ToList();
        if (errors.Count > 0) node["robotLandmarkError"] = new JsonObject { ["mean"] = errors.Average(), ["sd"] = StandardDeviation(errors) };
        return node;
    }

    /// <summary>The sample standard deviation (n - 1); 0 for a single run.</summary>
    private static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    private static string MeanSd(IReadOnlyList<double> values) =>
        string.Create(CultureInfo.InvariantCulture, $"{values.Average():0.0000} ± {StandardDeviation(values):0.0000}");
}
