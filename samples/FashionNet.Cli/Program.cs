using System.CommandLine;
using FashionNet.Cli.Commands;
using FashionNet.Diagnostics;

// Before any torch call: LibTorch's threads must not spin against the image decoding threads.
TorchThreading.PreferPassiveWaiting();

var root = new RootCommand("fashionnet: landmark-aware clothes retrieval with FashionNet.Core");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(DataCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(IndexCommand.Create());
root.Subcommands.Add(QueryCommand.Create());
root.Subcommands.Add(AblationCommand.Create());
root.Subcommands.Add(ServeCommand.Create());

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("interrupted: what was written so far is intact (train: continue with --resume).");
    return 130;
}
catch (Exception e) when (Environment.GetEnvironmentVariable("FASHIONNET_DEBUG") != "1")
{
    // Bad input (files, options, data) is reported as one line naming the problem; FASHIONNET_DEBUG=1 shows the stack.
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
