using System.Text.Json;
using System.Text.RegularExpressions;
using FashionNet.Retrieval;
using FashionNet.Training;

namespace FashionNet.Tests.Cli;

/// <summary>
/// The <c>fashionnet</c> command's contract, run as a process: help for every command, exit code 0 on success, exit
/// code 1 and one line on stderr naming the option, file or line on bad input, and exit code 130 with a resumable run
/// on Ctrl+C.
/// </summary>
public sealed class FashionNetCommandTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    private CommandResult Run(params string[] arguments) => FashionNetCommand.Run(fixture.Directory, arguments);

    private string NewFolder(string name) => Path.Combine(fixture.Directory, $"{name}-{Guid.NewGuid():N}");

    /// <summary>Exit code 1 and exactly one line on stderr, which contains every one of <paramref name="named"/>.</summary>
    private static void AssertOneLineError(CommandResult result, params string[] named)
    {
        Assert.True(result.ExitCode == 1, $"expected exit code 1: {result}");
        string line = Assert.Single(result.ErrorLines);
        Assert.All(named, name => Assert.Contains(name, line));
    }

    /// <summary>Each command, the options its help must list (the README's table), as one string.</summary>
    public static TheoryData<string, string> Commands => new()
    {
        { "", "demo data train evaluate index query ablation serve" },
        { "demo", "--out --data" },
        { "data", "check synth" },
        { "data check", "--format --root --lenient" },
        { "data synth", "--out --items --seed --views --size" },
        {
            "train",
            "--data --format --out --config --backbone --image-size --global-only --stage1-data --stage1-format --landmark-data --landmark-format --validation-items --resume "
            + "--stage1-epochs --stage2-epochs --lr --optimizer --clip --items-per-batch --training-landmarks --loss-weight --detach-auxiliary-heads --detach-local-branch"
        },
        { "evaluate", "--checkpoint --baseline --data --format --out --contact-sheet --sheet-queries --landmarks-csv --neighbour-categories --runtime --calibration-images" },
        { "index", "--checkpoint --baseline --data --images --out --append --runtime --calibration-images" },
        { "query", "--index --image --top --sheet --runtime --calibration-images" },
        { "serve", "--index --checkpoint --urls --gallery-root --batch --concurrency --queue --timeout --max-upload --max-top --runtime --calibration-images" },
        { "ablation", "--global --full --config --out" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Help_of_every_command_shows_its_usage_and_options(string command, string listed)
    {
        string[] path = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var result = Run([.. path, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Error);
        Assert.Contains($"Usage:\n  {string.Join(' ', ["fashionnet", .. path])} [", result.Output.ReplaceLineEndings("\n"));
        Assert.All(listed.Split(' '), name =>
            Assert.True(Regex.IsMatch(result.Output, $@"(?m)^\s+(-\w, )?{Regex.Escape(name)}(?![\w-])"), $"the help of '{command}' does not list {name}:\n{result.Output}"));
    }

    [Fact]
    public void Synthesizing_and_training_succeed_with_exit_code_0()
    {
        Assert.True(fixture.Synthesis.ExitCode == 0, fixture.Synthesis.ToString());
        Assert.Empty(fixture.Synthesis.Error);
        Assert.All(new[] { "inshop", "category", "landmarks" }, layout => Assert.True(Directory.Exists(Path.Combine(fixture.Data, layout))));

        var training = fixture.Training.Resumed;
        Assert.True(training.ExitCode == 0, training.ToString());
        Assert.Empty(training.Error);
        Assert.All(new[] { "best-stage1.ckpt", "best.ckpt", "last.ckpt", "metrics.jsonl", "loss_curves.png", "validation.png" },
            file => Assert.True(File.Exists(Path.Combine(fixture.RunDirectory, file)), file));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.RunDirectory, "summary.json")));
        Assert.Equal(fixture.BestCheckpoint, summary.RootElement.GetProperty("bestCheckpoint").GetString());
    }

    [Fact]
    public void Stage_overrides_given_on_the_command_line_reach_their_stage_and_only_that_one()
    {
        Assert.True(fixture.Training.Resumed.ExitCode == 0, fixture.Training.Resumed.ToString());
        string term = $"loss/{LossTermNames.GlobalTriplet}";

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.RunDirectory, "config.json")));
        Assert.True(config.RootElement.GetProperty("stage2").GetProperty("detachAuxiliaryHeads").GetBoolean());
        Assert.False(config.RootElement.GetProperty("stage1").GetProperty("detachAuxiliaryHeads").GetBoolean());
        Assert.True(config.RootElement.GetProperty("stage2").GetProperty("detachLocalBranch").GetBoolean());
        Assert.False(config.RootElement.GetProperty("stage1").GetProperty("detachLocalBranch").GetBoolean());
        Assert.Equal(CliFixture.GlobalTripletWeight, config.RootElement.GetProperty("stage2").GetProperty("lossWeights").GetProperty(LossTermNames.GlobalTriplet).GetDouble());
        Assert.False(config.RootElement.GetProperty("stage1").GetProperty("lossWeights").TryGetProperty(LossTermNames.GlobalTriplet, out _));
        var steps = TrainingLog.Read(Path.Combine(fixture.RunDirectory, "metrics.jsonl")).Where(e => e.Kind == TrainingLogKind.Step).ToList();
        Assert.All(steps.Where(e => e.Stage == 1), e => Assert.DoesNotContain(term, e.Values.Keys));
        Assert.All(steps.Where(e => e.Stage == 2), e => Assert.Contains(term, e.Values.Keys));
        Assert.Contains(steps, e => e.Stage == 2);
    }

    [Fact]
    public void Ctrl_C_during_training_exits_130_and_leaves_a_checkpoint_that_resume_completes()
    {
        var (interrupted, progressLeft, finishedBeforeResume, resumed) = fixture.Training;

        // A process killed by SIGINT also reads as 130: the message shows the CLI caught it and stopped cleanly.
        Assert.True(interrupted.ExitCode == 130, interrupted.ToString());
        Assert.StartsWith("interrupted:", Assert.Single(interrupted.ErrorLines));
        Assert.False(finishedBeforeResume, "the interrupted run finished anyway");
        Assert.Equal((1, 1), (progressLeft.Stage, progressLeft.Epoch));

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var epochs = TrainingLog.Read(Path.Combine(fixture.RunDirectory, "metrics.jsonl")).Where(e => e.Kind == TrainingLogKind.Epoch).Select(e => (e.Stage, e.Epoch));
        Assert.Equal([(1, 1), (2, 1)], epochs);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.RunDirectory, "summary.json")));
        Assert.True(summary.RootElement.GetProperty("resumed").GetBoolean());
    }

    [Fact]
    public void Indexing_and_querying_with_the_trained_checkpoint_succeed_with_exit_code_0()
    {
        Assert.True(fixture.Indexing.ExitCode == 0, fixture.Indexing.ToString());
        Assert.Empty(fixture.Indexing.Error);
        string query = Directory.EnumerateFiles(Path.Combine(fixture.Data, "inshop", "img"), "*.jpg", SearchOption.AllDirectories).Order().First();
        string sheet = Path.Combine(NewFolder("query"), "sheet.png");

        var result = Run("query", "--index", fixture.IndexFile, "--checkpoint", fixture.BestCheckpoint, "--image", query, "--top", "3", "--sheet", sheet);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Error);
        using var index = RetrievalIndex.Open(fixture.IndexFile);
        Assert.Equal(8, index.Count); // the gallery half of the 4 test items' 16 views
        Assert.Contains($"top 3 of {index.Count}", result.Output);
        Assert.True(new FileInfo(sheet).Length > 0);
    }

    [Fact]
    public void Querying_through_ONNX_Runtime_finds_what_LibTorch_finds_in_an_index_LibTorch_built()
    {
        Assert.True(fixture.Indexing.ExitCode == 0, fixture.Indexing.ToString());
        string query = Directory.EnumerateFiles(Path.Combine(fixture.Data, "inshop", "img"), "*.jpg", SearchOption.AllDirectories).Order().Last();
        string folder = NewFolder("query-runtimes");

        // No --checkpoint: the index's recorded checkpoint is loaded by the chosen runtime, and its fingerprint must match.
        var torchResult = Run("query", "--index", fixture.IndexFile, "--image", query, "--top", "4", "--sheet", Path.Combine(folder, "torch.png"));
        var onnxResult = Run("query", "--index", fixture.IndexFile, "--image", query, "--top", "4", "--sheet", Path.Combine(folder, "onnx.png"), "--runtime", "onnx");

        Assert.True(onnxResult.ExitCode == 0, onnxResult.ToString());
        Assert.Empty(onnxResult.Error);
        // The same table of matches; scores may differ in the last printed digit. (The sheet's line after it names another file.)
        static string Matches(CommandResult result) => Regex.Replace(result.Output[..result.Output.IndexOf("contact sheet written", StringComparison.Ordinal)], @"\d\.\d{4}", "#");
        Assert.Equal(Matches(torchResult), Matches(onnxResult));
    }

    [Fact]
    public void Querying_in_int8_calibrated_on_the_photos_finds_the_match_LibTorch_ranks_first()
    {
        Assert.True(fixture.Indexing.ExitCode == 0, fixture.Indexing.ToString());
        // The query is a gallery photo, indexed whole (an --images list) as the query command embeds it, so LibTorch
        // scores it 1 against itself. The fixture's model is tiny and briefly trained: its other matches score 0.97-0.99,
        // and int8 moves scores by about 0.002; the dataset's index, embedding garment boxes, left the photo itself near
        // 0.99, within int8's reach of another item (it was reordered once).
        string folder = NewFolder("query-int8");
        Directory.CreateDirectory(folder);
        string inshop = Path.Combine(fixture.Data, "inshop");
        string[] gallery = [.. File.ReadLines(Path.Combine(inshop, "Eval", "list_eval_partition.txt")).Skip(2)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(row => row[2] == "gallery").Select(row => $"{Path.Combine(inshop, row[0])} {row[1]}")];
        string list = Path.Combine(folder, "gallery.txt"), index = Path.Combine(folder, "gallery.fnidx");
        File.WriteAllLines(list, gallery);
        var indexing = Run("index", "--checkpoint", fixture.BestCheckpoint, "--images", list, "--out", index);
        Assert.True(indexing.ExitCode == 0, indexing.ToString());
        string[] arguments = ["query", "--index", index, "--image", gallery[0].Split(' ')[0], "--top", "4", "--sheet", Path.Combine(folder, "sheet.png")];

        var torchResult = Run(arguments);
        var int8Result = Run([.. arguments, "--runtime", "onnx-int8", "--calibration-images", Path.Combine(inshop, "img")]);
        var uncalibrated = Run([.. arguments, "--runtime", "onnx-int8"]);

        Assert.True(int8Result.ExitCode == 0, int8Result.ToString());
        Assert.Empty(int8Result.Error);
        // The first row of the matches table: rank 1, its score, its item and image. LibTorch's is the photo itself, scored 1.
        static string FirstMatch(CommandResult result) => Regex.Match(result.Output, @"(?m)^.*\b1\b.*\d\.\d{4}.*$").Value;
        Assert.Contains("1.0000", FirstMatch(torchResult));
        static string WithoutScore(string row) => Regex.Replace(row, @"\d\.\d{4}", "#");
        Assert.Equal(WithoutScore(FirstMatch(torchResult)), WithoutScore(FirstMatch(int8Result)));
        AssertOneLineError(uncalibrated, "--runtime onnx-int8", "--calibration-images");
    }

    [Fact]
    public void Evaluating_retrieval_through_ONNX_Runtime_says_that_the_other_measures_need_LibTorch()
    {
        string report = Path.Combine(NewFolder("evaluate-onnx-retrieval"), "report.json");

        var result = Run("evaluate", "--checkpoint", fixture.BestCheckpoint, "--data", fixture.Data, "--format", "synthetic", "--runtime", "onnx", "--out", report);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Error);
        // Spectre.Console wraps long lines at the width of a redirected console.
        Assert.Contains("landmark measures need --runtime torch", Regex.Replace(result.Output, @"\s+", " "));
        Assert.True(File.Exists(report));
    }

    [Fact]
    public void Evaluating_predictions_through_ONNX_Runtime_exits_1_with_one_line_naming_the_runtime()
    {
        var result = Run("evaluate", "--checkpoint", fixture.BestCheckpoint, "--data", fixture.Data, "--format", "synthetic", "--local-landmarks", "none",
            "--runtime", "onnx", "--out", Path.Combine(NewFolder("evaluate-onnx"), "report.json"));

        AssertOneLineError(result, "--runtime onnx", "--local-landmarks");
    }

    [Fact]
    public void Evaluating_landmarks_draws_them_on_a_contact_sheet_and_writes_them_as_csv()
    {
        string folder = NewFolder("evaluate-landmarks");
        string report = Path.Combine(folder, "report.json"), sheet = Path.Combine(folder, "sheet.png"), csv = Path.Combine(folder, "landmarks.csv");

        var result = Run("evaluate", "--checkpoint", fixture.BestCheckpoint, "--data", Path.Combine(fixture.Data, "landmarks"), "--format", "landmarks",
            "--out", report, "--contact-sheet", sheet, "--sheet-queries", "5", "--landmarks-csv", csv);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var landmarks = json.RootElement.GetProperty("landmarks");
        string[] rows = File.ReadAllLines(csv);
        // One row per image and slot; the visible true landmarks are those the error measured.
        Assert.Equal(1 + 8 * json.RootElement.GetProperty("imageCount").GetInt32(), rows.Length);
        Assert.Equal(landmarks.GetProperty("visibleLandmarkCount").GetInt32(), rows.Skip(1).Count(row => row.Split(',')[7] == "0"));
        // Five images in rows of four 320-pixel tiles (8-pixel gaps, 34-pixel captions): two rows.
        using var png = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(sheet);
        Assert.Equal((8 + 4 * (320 + 8), 8 + 2 * (320 + 34 + 8)), (png.Width, png.Height));
        // The first tile is the first annotated image; the last of its visible landmarks is drawn last, so its predicted
        // dot (red, radius 3) covers the pixel at the prediction, mapped into the tile's 312-pixel inner square centred at 168.
        var first = rows.Skip(1).Select(row => row.Split(',')).GroupBy(cells => cells[0]).First(image => image.Any(cells => cells[7] != ""));
        var last = first.Last(cells => cells[7] == "0");
        static float Number(string cell) => float.Parse(cell, System.Globalization.CultureInfo.InvariantCulture);
        float width = Number(last[1]), height = Number(last[2]), scale = Math.Min(312 / width, 312 / height);
        var dot = png[(int)(168 - width * scale / 2 + Number(last[4]) * scale), (int)(168 - height * scale / 2 + Number(last[5]) * scale)];
        Assert.Equal(new SixLabors.ImageSharp.PixelFormats.Rgb24(230, 0, 0), dot);
    }

    [Fact]
    public void An_extra_output_that_cannot_be_written_exits_1_naming_it_and_keeps_the_results()
    {
        string folder = NewFolder("unwritable-output");
        Directory.CreateDirectory(folder);
        string blocker = Path.Combine(folder, "a-file"), report = Path.Combine(folder, "report.json");
        File.WriteAllText(blocker, "");

        var result = Run("evaluate", "--checkpoint", fixture.BestCheckpoint, "--data", Path.Combine(fixture.Data, "landmarks"), "--format", "landmarks",
            "--out", report, "--landmarks-csv", Path.Combine(blocker, "landmarks.csv"));

        AssertOneLineError(result, blocker);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        Assert.True(json.RootElement.GetProperty("landmarks").GetProperty("visibleLandmarkCount").GetInt32() > 0);
    }

    [Fact]
    public void Evaluating_categories_by_nearest_training_images_reports_the_vote_of_the_embedding()
    {
        string report = Path.Combine(NewFolder("neighbour-categories"), "report.json");
        string category = Path.Combine(fixture.Data, "category");

        var result = Run("evaluate", "--checkpoint", fixture.BestCheckpoint, "--data", category, "--format", "category", "--neighbour-categories", "3", "--out", report);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Error);
        Assert.Contains("category by a vote of the 3 nearest", Regex.Replace(result.Output, @"\s+", " "));
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var vote = json.RootElement.GetProperty("neighbourCategory");
        int trainImages = File.ReadLines(Path.Combine(category, "Eval", "list_eval_partition.txt")).Skip(2).Count(line => line.EndsWith(" train", StringComparison.Ordinal));
        Assert.Equal(3, vote.GetProperty("neighbours").GetInt32());
        Assert.Equal(trainImages, vote.GetProperty("referenceImages").GetInt32());
        // The vote classifies every evaluated (test) image, all labelled; it needs no category head (this model's, trained on
        // the In-shop layout, has none for these classes).
        Assert.Equal(json.RootElement.GetProperty("imageCount").GetInt32(), vote.GetProperty("accuracy").GetProperty("sampleCount").GetInt32());
    }

    [Fact]
    public void Categories_by_nearest_training_images_on_data_without_categories_exit_1_naming_the_option()
    {
        var result = Run("evaluate", "--baseline", "imagenet-resnet18", "--data", fixture.Data, "--format", "synthetic", "--neighbour-categories", "3",
            "--out", Path.Combine(NewFolder("neighbour-categories-none"), "report.json"));

        AssertOneLineError(result, "--neighbour-categories", "no training images with a category");
    }

    [Fact]
    public void Writing_landmarks_of_a_baseline_exits_1_with_one_line_naming_the_option()
    {
        var result = Run("evaluate", "--baseline", "imagenet-resnet18", "--data", fixture.Data, "--format", "synthetic", "--landmarks-csv",
            Path.Combine(NewFolder("baseline-landmarks"), "landmarks.csv"));

        AssertOneLineError(result, "--landmarks-csv", "--checkpoint");
    }

    /// <summary>A bad option or option value, with the text the error line must contain.</summary>
    public static TheoryData<string, string[]> WrongOptions => new()
    {
        { "an unknown option", ["--bogus"] },
        { "a value outside the allowed list", ["--format", "jpeg2"] },
        { "a value of the wrong type", ["--image-size", "huge"] },
        { "a required option left out", ["--out"] },
        { "a loss weight for a term that does not exist", ["--loss-weight", "stage2.globalTripplet=1", "is not a loss term"] },
        { "a loss weight for a stage that does not exist", ["--loss-weight", "stage3.triplet=1", "stage1 or stage2"] },
        { "a negative loss weight", ["--loss-weight", "stage1.triplet=-1", "not negative"] },
        { "auxiliary heads detached in a stage that does not exist", ["--detach-auxiliary-heads", "3", "the stages are 1 and 2"] },
        { "the local branch detached in a stage that does not exist", ["--detach-local-branch", "0", "the stages are 1 and 2"] },
    };

    [Theory]
    [MemberData(nameof(WrongOptions))]
    public void A_wrong_option_exits_1_with_one_line_naming_it(string what, string[] named)
    {
        var arguments = CliFixture.TrainArguments(fixture.Data, NewFolder("wrong-option"), stage2Epochs: 0).ToList();
        switch (what)
        {
            case "an unknown option": arguments.Add("--bogus"); break;
            case "a value outside the allowed list": arguments[arguments.IndexOf("--format") + 1] = "jpeg2"; break;
            case "a value of the wrong type": arguments[arguments.IndexOf("--image-size") + 1] = "huge"; break;
            case "a required option left out": arguments.RemoveRange(arguments.IndexOf("--out"), 2); break;
            default: arguments.AddRange(named[..2]); break;
        }

        AssertOneLineError(Run([.. arguments]), named);
    }

    [Fact]
    public void Landmark_images_asked_for_without_landmark_data_exit_1_with_one_line_naming_the_option()
    {
        string folder = Directory.CreateDirectory(NewFolder("landmark-images")).FullName;
        string config = Path.Combine(folder, "config.json");
        File.WriteAllText(config, """{ "stage2": { "epochs": 1, "landmarkImagesPerBatch": 2 } }""");

        AssertOneLineError(Run(CliFixture.TrainArguments(fixture.Data, Path.Combine(folder, "run"), stage2Epochs: 1, "--config", config)),
            "stage2.landmarkImagesPerBatch is 2", "--landmark-data");
    }

    [Fact]
    public void A_missing_folder_exits_1_with_one_line_naming_it()
    {
        string missing = NewFolder("missing");

        AssertOneLineError(Run("data", "check", "--format", "inshop", "--root", missing), missing);
        AssertOneLineError(Run(CliFixture.TrainArguments(missing, NewFolder("run"), stage2Epochs: 0)), missing);
    }

    [Fact]
    public void A_malformed_annotation_file_exits_1_with_one_line_naming_the_file_and_line()
    {
        string data = fixture.CopyOfData("malformed");
        string partition = Path.Combine(data, "inshop", "Eval", "list_eval_partition.txt");
        var lines = File.ReadAllLines(partition);
        lines[3] = lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0] + " train"; // line 4 loses its item id
        File.WriteAllLines(partition, lines);

        AssertOneLineError(Run(CliFixture.TrainArguments(data, NewFolder("run"), stage2Epochs: 0)), partition, "line 4");
    }

    [Fact]
    public void A_corrupt_training_image_exits_1_with_one_line_naming_it()
    {
        string data = fixture.CopyOfData("corrupt-image");
        string firstTrainImage = File.ReadLines(Path.Combine(data, "inshop", "Eval", "list_eval_partition.txt")).Skip(2)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(row => row[2] == "train")[0];
        string victim = Path.Combine(data, "inshop", firstTrainImage);
        File.WriteAllBytes(victim, File.ReadAllBytes(victim)[..100]);

        // Every training image is in every epoch's batches (K = 4 = views per item), so the first epoch reaches it.
        AssertOneLineError(Run(CliFixture.TrainArguments(data, NewFolder("run"), stage2Epochs: 0)), victim);
    }

    [Fact]
    public void A_corrupt_checkpoint_exits_1_with_one_line_naming_it()
    {
        string corrupt = Path.Combine(NewFolder("corrupt-checkpoint"), "best.ckpt");
        Directory.CreateDirectory(Path.GetDirectoryName(corrupt)!);
        byte[] bytes = File.ReadAllBytes(fixture.BestCheckpoint);
        bytes[bytes.Length / 2] ^= 0x10; // inside the model weights
        File.WriteAllBytes(corrupt, bytes);

        AssertOneLineError(Run("evaluate", "--checkpoint", corrupt, "--data", fixture.Data, "--format", "synthetic", "--out", corrupt + ".json"), corrupt);
        Assert.False(File.Exists(corrupt + ".json"));
    }

    [Fact]
    public void Resuming_without_a_last_checkpoint_exits_1_with_one_line_naming_it()
    {
        string run = NewFolder("never-trained");

        AssertOneLineError(Run(CliFixture.TrainArguments(fixture.Data, run, stage2Epochs: 0, "--resume")), Path.Combine(run, "last.ckpt"));
        Assert.Empty(Directory.EnumerateFiles(run, "*.ckpt"));
    }

    [Fact]
    public void Resuming_from_a_checkpoint_of_another_model_exits_1_with_one_line_naming_it()
    {
        string trained = Path.Combine(fixture.RunDirectory, "last.ckpt");
        Assert.True(fixture.Training.Resumed.ExitCode == 0, fixture.Training.Resumed.ToString());
        string run = NewFolder("other-model");
        Directory.CreateDirectory(run);
        // A link, not a 280 MB copy: a write to last.ckpt would replace the link, never the fixture's file.
        File.CreateSymbolicLink(Path.Combine(run, "last.ckpt"), trained);
        var before = (File.GetLastWriteTimeUtc(trained), new FileInfo(trained).Length);

        // Another pooling window: the same weight shapes, so only the model fingerprint can tell the checkpoint is not this model's.
        var result = Run(CliFixture.TrainArguments(fixture.Data, run, stage2Epochs: 1, "--resume", "--pooling-window", "1"));

        AssertOneLineError(result, Path.Combine(run, "last.ckpt"), "model");
        Assert.True(new FileInfo(Path.Combine(run, "last.ckpt")).LinkTarget is not null, "last.ckpt was replaced");
        Assert.Equal(before, (File.GetLastWriteTimeUtc(trained), new FileInfo(trained).Length));
    }

    [Fact]
    public void Querying_a_missing_index_exits_1_with_one_line_naming_it()
    {
        string folder = NewFolder("no-index");
        Directory.CreateDirectory(folder);
        string missing = Path.Combine(folder, "gallery.fnidx");
        string image = Directory.EnumerateFiles(fixture.Data, "*.jpg", SearchOption.AllDirectories).First();

        AssertOneLineError(Run("query", "--index", missing, "--image", image, "--sheet", missing + ".png"), missing);
        Assert.False(File.Exists(missing), "querying created the missing index");
    }

    [Fact]
    public void Querying_an_empty_index_exits_1_with_one_line_naming_it()
    {
        Assert.True(fixture.Indexing.ExitCode == 0, fixture.Indexing.ToString());
        string empty = Path.Combine(NewFolder("empty-index"), "gallery.fnidx");
        using (var built = RetrievalIndex.Open(fixture.IndexFile))
            RetrievalIndex.Create(empty, new RetrievalIndexContent(built.ModelFingerprint, built.Dimension, Array.Empty<float>(), [], []));
        string image = Directory.EnumerateFiles(fixture.Data, "*.jpg", SearchOption.AllDirectories).First();

        var result = Run("query", "--index", empty, "--checkpoint", fixture.BestCheckpoint, "--image", image, "--sheet", empty + ".png");

        AssertOneLineError(result, empty, "empty");
        Assert.False(File.Exists(empty + ".png"));
    }
}
