using System.CommandLine;
using FashionNet.Diagnostics;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary><c>fashionnet demo</c>: the end-to-end tour on built-in synthetic data.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Check the platform and run FashionNet.Core end to end on built-in synthetic data.");
        command.SetAction(_ => Run());
        return command;
    }

    private static int Run()
    {
        var report = EnvironmentReport.Collect();

        var table = new Table().Title("FashionNet.Core platform").AddColumn("what").AddColumn("found");
        table.AddRow("TorchSharp", report.TorchSharpVersion);
        table.AddRow("LibTorch", report.LibTorchVersion);
        table.AddRow("threads (intra-op / inter-op)", $"{report.IntraOpThreads} / {report.InterOpThreads}");
        table.AddRow("CUDA devices", report.CudaAvailable ? report.CudaDeviceCount.ToString() : "none");
        table.AddRow("autograd self-test", report.SelfTestPassed
            ? $"[green]passed[/] (grad = {string.Join(", ", report.SelfTestGradient)})"
            : $"[red]FAILED[/] (grad = {string.Join(", ", report.SelfTestGradient)})");
        AnsiConsole.Write(table);

        return report.SelfTestPassed ? 0 : 1;
    }
}
