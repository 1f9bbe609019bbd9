namespace FashionNet.Cli.Commands;

/// <summary>Turns the first Ctrl+C into a cancellation (the work stops cleanly at its next check) instead of killing the process.</summary>
internal sealed class CliCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly ConsoleCancelEventHandler _handler;

    private CliCancellation()
    {
        _handler = (_, e) =>
        {
            e.Cancel = true;
            _source.Cancel();
        };
        Console.CancelKeyPress += _handler;
    }

    public CancellationToken Token => _source.Token;

    public static CliCancellation OnCtrlC() => new();

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _source.Dispose();
    }
}
