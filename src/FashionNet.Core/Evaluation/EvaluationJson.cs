using System.Text.Json;
using System.Text.Json.Serialization;
using FashionNet.IO;

namespace FashionNet.Evaluation;

/// <summary>Writes evaluation results as JSON (camelCase, indented, enums by name), atomically.</summary>
public static class EvaluationJson
{
    /// <summary>Retrieval results as JSON text.</summary>
    public static string Serialize(RetrievalEvaluationResult result) => JsonSerializer.Serialize(result, EvaluationJsonContext.Default.RetrievalEvaluationResult);

    /// <summary>Category accuracy as JSON text.</summary>
    public static string Serialize(CategoryAccuracyResult result) => JsonSerializer.Serialize(result, EvaluationJsonContext.Default.CategoryAccuracyResult);

    /// <summary>Attribute recall as JSON text.</summary>
    public static string Serialize(AttributeRecallResult result) => JsonSerializer.Serialize(result, EvaluationJsonContext.Default.AttributeRecallResult);

    /// <summary>Landmark error as JSON text.</summary>
    public static string Serialize(LandmarkErrorResult result) => JsonSerializer.Serialize(result, EvaluationJsonContext.Default.LandmarkErrorResult);

    /// <summary>A whole evaluation run as JSON text.</summary>
    public static string Serialize(BenchmarkReport report) => JsonSerializer.Serialize(report, EvaluationJsonContext.Default.BenchmarkReport);

    /// <summary>Writes a whole evaluation run to <paramref name="path"/> (temporary file, flush, rename).</summary>
    public static void Write(string path, BenchmarkReport report) => WriteText(path, Serialize(report));

    /// <summary>Writes retrieval results to <paramref name="path"/> (temporary file, flush, rename).</summary>
    public static void Write(string path, RetrievalEvaluationResult result) => WriteText(path, Serialize(result));

    /// <summary>Writes category accuracy to <paramref name="path"/> (temporary file, flush, rename).</summary>
    public static void Write(string path, CategoryAccuracyResult result) => WriteText(path, Serialize(result));

    /// <summary>Writes attribute recall to <paramref name="path"/> (temporary file, flush, rename).</summary>
    public static void Write(string path, AttributeRecallResult result) => WriteText(path, Serialize(result));

    /// <summary>Writes landmark error to <paramref name="path"/> (temporary file, flush, rename).</summary>
    public static void Write(string path, LandmarkErrorResult result) => WriteText(path, Serialize(result));

    /// <summary>Reads a whole evaluation run written by <see cref="Write(string, BenchmarkReport)"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not such a report; the message names it.</exception>
    public static BenchmarkReport ReadReport(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), EvaluationJsonContext.Default.BenchmarkReport)
                ?? throw new InvalidDataException($"'{path}' holds no evaluation report.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not an evaluation report: {e.Message}", e);
        }
    }

    private static void WriteText(string path, string json) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(json);
            writer.WriteLine();
        });
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(RetrievalEvaluationResult))]
[JsonSerializable(typeof(CategoryAccuracyResult))]
[JsonSerializable(typeof(AttributeRecallResult))]
[JsonSerializable(typeof(LandmarkErrorResult))]
[JsonSerializable(typeof(BenchmarkReport))]
internal sealed partial class EvaluationJsonContext : JsonSerializerContext;
