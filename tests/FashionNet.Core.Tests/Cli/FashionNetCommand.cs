using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace FashionNet.Tests.Cli;

/// <summary>What one run of the command printed and returned.</summary>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="Output">Everything written to stdout.</param>
/// <param name="Error">Everything written to stderr.</param>
public sealed record CommandResult(int ExitCode, string Output, string Error)
{
    /// <summary>The non-blank lines of stderr.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>For assertion messages.</summary>
    public override string ToString() => $"exit code {ExitCode}\n--- stderr:\n{Error}\n--- stdout:\n{Output}";
}

/// <summary>
/// Runs the built <c>fashionnet</c> command (samples/FashionNet.Cli, which the test project builds through a project
/// reference) as a process with the same <c>dotnet</c> host as the tests.
/// </summary>
internal static partial class FashionNetCommand
{
    /// <summary>fashionnet.dll in the CLI's output folder of this build (same configuration and framework as the tests).</summary>
    public static string Dll { get; } = Locate();

    /// <summary>Runs the command to its end in <paramref name="workingDirectory"/>.</summary>
    public static CommandResult Run(string workingDirectory, params string[] arguments)
    {
        using var command = Start(workingDirectory, [], arguments);
        return command.WaitForExit();
    }

    /// <summary>
    /// Starts the command through <c>env --default-signal=INT</c> (coreutils 8.31+; started directly where env lacks
    /// it), so that it gets SIGINT's default disposition: a background job of a non-interactive shell inherits SIGINT
    /// ignored, and .NET then never sees Ctrl+C.
    /// </summary>
    public static RunningCommand StartWithDefaultSigint(string workingDirectory, params string[] arguments) =>
        Start(workingDirectory, EnvResetsSigint.Value ? ["env", "--default-signal=INT"] : [], arguments);

    private static readonly Lazy<bool> EnvResetsSigint = new(() =>
    {
        using var probe = Process.Start(new ProcessStartInfo("env", ["--default-signal=INT", "true"]) { RedirectStandardError = true });
        probe!.WaitForExit();
        return probe.ExitCode == 0;
    });

    private static RunningCommand Start(string workingDirectory, string[] launcher, string[] arguments)
    {
        string[] command = [.. launcher, DotnetHost(), Dll, .. arguments];
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in command.Skip(1)) start.ArgumentList.Add(argument);
        // The contract under test is the one users get: one-line errors, not FASHIONNET_DEBUG's stack traces.
        start.Environment.Remove("FASHIONNET_DEBUG");
        return new RunningCommand(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command[0]}."));
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host) return host;
        return Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
    }

    private static string Locate()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "FashionNet.Core.sln"))) repository = repository.Parent;
        if (repository is null) throw new InvalidOperationException($"No FashionNet.Core.sln above '{AppContext.BaseDirectory}': cannot find the CLI.");
        // The CLI's output folder mirrors the test project's (bin/<configuration>/<framework>).
        string testProject = Path.Combine(repository.FullName, "tests", Assembly.GetExecutingAssembly().GetName().Name!);
        string outputFolder = Path.GetRelativePath(testProject, AppContext.BaseDirectory);
        string dll = Path.Combine(repository.FullName, "samples", "FashionNet.Cli", outputFolder, "fashionnet.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"The built CLI '{dll}' is missing: the test project builds samples/FashionNet.Cli through a project reference; rebuild it.", dll);
        return dll;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}

/// <summary>A started <c>fashionnet</c> process; its stdout and stderr are drained from the start, so it never blocks on a full pipe.</summary>
internal sealed class RunningCommand : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly Task<string> _output, _error;

    public RunningCommand(Process process)
    {
        _process = process;
        _process.StandardInput.Close();
        _output = _process.StandardOutput.ReadToEndAsync();
        _error = _process.StandardError.ReadToEndAsync();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the end (at most a few minutes, then kills the process and fails).</summary>
    public CommandResult WaitForExit()
    {
        if (!_process.WaitForExit(Timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fashionnet did not finish within {Timeout.TotalMinutes} minutes: {string.Join(' ', _process.StartInfo.ArgumentList)}");
        }
        _process.WaitForExit();
        return new CommandResult(_process.ExitCode, _output.GetAwaiter().GetResult(), _error.GetAwaiter().GetResult());
    }

    /// <summary>Sends SIGINT, what Ctrl+C in a terminal sends.</summary>
    public void Interrupt()
    {
        const int SigInt = 2;
        if (FashionNetCommand.Kill(_process.Id, SigInt) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGINT) failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>Whether the process ignores SIGINT (bit 2 of SigIgn in /proc/PID/status).</summary>
    public bool IgnoresSigint()
    {
        string line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0b10) != 0;
    }

    public void Dispose() => _process.Dispose();
}
