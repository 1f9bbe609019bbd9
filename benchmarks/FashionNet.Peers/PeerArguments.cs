using System.Globalization;

namespace FashionNet.Peers;

/// <summary>
/// The <c>--name value</c> options and <c>--flag</c> switches of one command. Every option a command does not read is an
/// error (<see cref="RejectUnread"/>), so a misspelt option never silently falls back to a default.
/// </summary>
internal sealed class PeerArguments
{
    private readonly Dictionary<string, string?> _values;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private PeerArguments(Dictionary<string, string?> values) => _values = values;

    /// <summary>Parses options; a value never starts with <c>--</c>, so <c>--quick --out DIR</c> reads as a switch and an option.</summary>
    /// <exception cref="ArgumentException">An argument is not an option, or an option is given twice.</exception>
    public static PeerArguments Parse(ReadOnlySpan<string> args)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i].Length == 2)
                throw new ArgumentException($"unexpected argument '{args[i]}' (options are --name value).");
            string name = args[i][2..];
            string? value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            if (!values.TryAdd(name, value)) throw new ArgumentException($"option --{name} is given twice.");
        }
        return new PeerArguments(values);
    }

    /// <summary>A required option's value.</summary>
    public string Required(string name) => Optional(name) ?? throw new ArgumentException($"option --{name} is required.");

    /// <summary>An option's value, or null when absent.</summary>
    public string? Optional(string name)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out string? value)) return null;
        return value ?? throw new ArgumentException($"option --{name} needs a value.");
    }

    /// <summary>Whether a switch is present (a switch takes no value).</summary>
    public bool Flag(string name)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out string? value)) return false;
        return value is null ? true : throw new ArgumentException($"option --{name} takes no value, got '{value}'.");
    }

    /// <summary>An integer option at least <paramref name="minimum"/>, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback, int minimum = 1)
    {
        string? text = Optional(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < minimum)
            throw new ArgumentException($"option --{name} must be an integer >= {minimum}, got '{text}'.");
        return value;
    }

    /// <summary>An existing folder given by an option.</summary>
    public string Directory(string name, string? fallback = null)
    {
        string path = Optional(name) ?? fallback ?? throw new ArgumentException($"option --{name} is required.");
        return System.IO.Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"--{name}: folder '{Path.GetFullPath(path)}' does not exist.");
    }

    /// <summary>An existing file given by an option.</summary>
    public string File(string name)
    {
        string path = Required(name);
        return System.IO.File.Exists(path) ? path : throw new FileNotFoundException($"--{name}: file '{Path.GetFullPath(path)}' does not exist.", path);
    }

    /// <summary>Throws for the first option the command did not read.</summary>
    /// <exception cref="ArgumentException">An option is unknown to the command.</exception>
    public void RejectUnread()
    {
        foreach (string name in _values.Keys)
        {
            if (!_read.Contains(name)) throw new ArgumentException($"unknown option --{name}.");
        }
    }
}
