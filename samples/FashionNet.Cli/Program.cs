using System.CommandLine;
using System.CommandLine.Parsing;
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
    var parse = root.Parse(args);
    // System.CommandLine's messages can span lines (lists of allowed values) without naming the option: each problem is
    // written here as one line, and System.CommandLine prints only its suggestions and the help, to stdout.
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {OneLine(error)}");
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = parse.Errors.Count > 0 ? TextWriter.Null : Console.Error });
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("interrupted: what was written so far is intact (train: continue with --resume).");
    return 130;
}
catch (Exception e) when (Environment.GetEnvironmentVariable("FASHIONNET_DEBUG") != "1")
{
    // Bad input (files, options, data) is reported as one line naming the problem; FASHIONNET_DEBUG=1 shows the stack.
    Console.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
    return 1;
}

static string OneLine(ParseError error)
{
    string message = string.Join(" ", error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    string? option = error.SymbolResult switch
    {
        OptionResult result => result.Option.Name,
        ArgumentResult { Parent: OptionResult result } => result.Option.Name,
        _ => null,
    };
    return option is null || message.Contains(option, StringComparison.Ordinal) ? message : $"{option}: {message}";
}
