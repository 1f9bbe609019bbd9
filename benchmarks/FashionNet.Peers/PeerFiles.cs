using System.Collections;
using System.Text.Json;
using FashionNet.IO;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>
/// What the .NET side hands to the Python side of a comparison: results as JSON, and tensors (weights, batches, reference
/// outputs) as PyTorch state-dict files that <c>torch.load</c> reads. Both written atomically.
/// </summary>
internal static class PeerFiles
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes <paramref name="value"/> as indented JSON with snake_case names.</summary>
    public static void WriteJson(string path, object value) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, value.GetType(), JsonOptions) + "\n");

    /// <summary>Writes named CPU tensors as a PyTorch state-dict file (contiguous copies, so any layout is saved plainly).</summary>
    public static void WriteTensors(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        using var scope = NewDisposeScope();
        var dictionary = new Hashtable();
        foreach (var (name, tensor) in tensors) dictionary[name] = tensor.detach().cpu().contiguous();
        AtomicFile.Write(path, stream => PyTorchPickler.PickleStateDict(stream, dictionary, leaveOpen: true));
    }

    /// <summary>Creates (or reuses) an output folder and returns its full path.</summary>
    public static string OutputDirectory(string path) => Directory.CreateDirectory(path).FullName;
}
