using System.CommandLine;
using FashionNet.Cli.Commands;

var root = new RootCommand("fashionnet: landmark-aware clothes retrieval with FashionNet.Core");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(DataCommand.Create());
return root.Parse(args).Invoke();
