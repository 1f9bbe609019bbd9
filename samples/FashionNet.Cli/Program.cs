using System.CommandLine;
using FashionNet.Cli.Commands;

var root = new RootCommand("fashionnet: landmark-aware clothes retrieval with FashionNet.Core");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(DataCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(IndexCommand.Create());
root.Subcommands.Add(QueryCommand.Create());
return root.Parse(args).Invoke();
