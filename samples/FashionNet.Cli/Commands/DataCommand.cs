using System.CommandLine;

namespace FashionNet.Cli.Commands;

/// <summary><c>fashionnet data</c>: tools for datasets in the DeepFashion file formats.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Check and synthesize datasets in the DeepFashion file formats.");
        // One line per subcommand.
        command.Subcommands.Add(DataCheckCommand.Create());
        command.Subcommands.Add(DataSynthCommand.Create());
        return command;
    }
}
