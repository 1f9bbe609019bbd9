using Spectre.Console;

namespace FashionNet.Cli.Reporting;

/// <summary>A progress bar over a long embedding pass.</summary>
internal static class ProgressDisplay
{
    /// <summary>Progress of a long embedding pass, shown as a bar.</summary>
    public static T WithProgress<T>(string description, int total, Func<IProgress<int>, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(description, maxValue: Math.Max(1, total));
                result = work(new ImmediateProgress(done => task.Value = done));
            });
        return result;
    }

    /// <summary>Reports on the reporting thread (<see cref="Progress{T}"/> would post, possibly out of order).</summary>
    private sealed class ImmediateProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
