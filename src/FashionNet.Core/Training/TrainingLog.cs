using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FashionNet.Training;

/// <summary>Whether a <see cref="TrainingLogEntry"/> describes one optimizer step or a whole epoch.</summary>
public enum TrainingLogKind
{
    /// <summary>One optimizer step.</summary>
    Step,

    /// <summary>The end of an epoch, with means and validation metrics.</summary>
    Epoch,
}

/// <summary>One line of a run's <c>metrics.jsonl</c>.</summary>
/// <param name="Kind">Step or epoch.</param>
/// <param name="Stage">Training stage.</param>
/// <param name="Epoch">Epoch (1-based) the entry belongs to.</param>
/// <param name="Step">Optimizer step within the stage (1-based; for an epoch entry, the last step of the epoch).</param>
/// <param name="Values">Named values: loss terms, total loss, learning rate, images/s, validation metrics.</param>
public sealed record TrainingLogEntry(TrainingLogKind Kind, int Stage, int Epoch, long Step, IReadOnlyDictionary<string, double> Values);

/// <summary>
/// Appends step and epoch entries to a JSON-lines file, one complete line per write, flushed as it goes so another
/// process can follow the run. Reading skips an incomplete last line (a run killed mid-write) instead of failing.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly StreamWriter _writer;

    /// <summary>Opens <paramref name="path"/> for appending (a resumed run continues the same file).</summary>
    /// <param name="path">The JSON-lines file.</param>
    public TrainingLog(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    /// <summary>The JSON-lines file.</summary>
    public string Path { get; }

    /// <summary>Appends one entry as one line and flushes it.</summary>
    /// <param name="entry">The entry.</param>
    public void Append(TrainingLogEntry entry)
    {
        _writer.Write(JsonSerializer.Serialize(entry, JsonOptions) + "\n");
        _writer.Flush();
    }

    /// <summary>Reads a log, skipping an incomplete last line; a malformed line elsewhere is an error naming it.</summary>
    /// <param name="path">The JSON-lines file.</param>
    /// <exception cref="FormatException">A line other than the last is not a valid entry.</exception>
    public static IReadOnlyList<TrainingLogEntry> Read(string path)
    {
        string text = File.ReadAllText(path);
        string[] lines = text.Split('\n');
        var entries = new List<TrainingLogEntry>(lines.Length);
        // Every complete entry ends with '\n', so the last split piece is either empty or a line cut off mid-write.
        int complete = lines.Length - 1;
        for (int i = 0; i < complete; i++)
        {
            if (lines[i].Length == 0) continue;
            try
            {
                entries.Add(JsonSerializer.Deserialize<TrainingLogEntry>(lines[i], JsonOptions)
                    ?? throw new FormatException("null entry"));
            }
            catch (JsonException e)
            {
                throw new FormatException($"Training log '{path}', line {i + 1}: {e.Message}", e);
            }
        }
        return entries;
    }

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();
}
