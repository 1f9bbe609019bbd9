using System.CommandLine;
using FashionNet.Cli.Commands;

var root = new RootCommand("fashionnet: landmark-aware clothes retrieval with FashionNet.Core");
root.Subcommands.Add(DemoCommand.Create());
return root.Parse(args).Invoke();
