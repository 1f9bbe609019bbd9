using FashionNet.Diagnostics;
using FashionNet.Peers;

// Before any torch call, as the fashionnet command does: LibTorch's threads sleep instead of spinning while they wait.
TorchThreading.PreferPassiveWaiting();

var commands = new Dictionary<string, (string Usage, Func<PeerArguments, int> Run)>(StringComparer.Ordinal)
{
    ["train-step"] = (TrainStepCommand.Usage, TrainStepCommand.Run),
    ["train-epoch"] = (TrainEpochCommand.Usage, TrainEpochCommand.Run),
    ["embed-baseline"] = (EmbedBaselineCommand.Usage, EmbedBaselineCommand.Run),
    ["embed-fashionnet"] = (EmbedFashionNetCommand.Usage, EmbedFashionNetCommand.Run),
    ["make-checkpoint"] = (MakeCheckpointCommand.Usage, MakeCheckpointCommand.Run),
    ["ab"] = (AbCommand.Usage, AbCommand.Run),
    ["recall"] = (RecallCommand.Usage, RecallCommand.Run),
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine(args.Length == 0 ? "error: no command given." : $"error: unknown command '{args[0]}'.");
    Console.Error.WriteLine("usage: FashionNet.Peers COMMAND [--option value ...]; commands:");
    foreach (var (name, (usage, _)) in commands) Console.Error.WriteLine($"  {name} {usage}");
    return 1;
}

try
{
    var arguments = PeerArguments.Parse(args.AsSpan(1));
    int exitCode = command.Run(arguments);
    return exitCode;
}
catch (Exception e) when (Environment.GetEnvironmentVariable("FASHIONNET_DEBUG") != "1")
{
    // Bad input (a missing folder, a wrong option) is one line naming it; FASHIONNET_DEBUG=1 shows the stack.
    Console.Error.WriteLine($"error: {args[0]}: {e.Message}");
    return 1;
}
