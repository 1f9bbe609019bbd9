using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Backbones;

/// <summary>Copies named tensors into a module's parameters and buffers with strict name and shape checks.</summary>
internal static class StateDictCopier
{
    /// <summary>
    /// Copies <paramref name="source"/> (name to tensor) into <paramref name="target"/>'s state dict in place, so
    /// parameters keep their identity and <c>requires_grad</c>. Every entry of the target must be present except
    /// batch-norm's <c>num_batches_tracked</c>, which older files lack.
    /// </summary>
    /// <returns>Source entries the target has no entry for.</returns>
    public static IReadOnlyList<string> CopyInto(nn.Module target, System.Collections.IDictionary source, string sourceName)
    {
        var targetEntries = target.state_dict();
        using var noGrad = no_grad();
        foreach (var (name, destination) in targetEntries)
        {
            if (!source.Contains(name))
            {
                if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
                throw new InvalidDataException($"'{sourceName}' has no entry '{name}' (expected shape [{string.Join(", ", destination.shape)}]).");
            }
            if (source[name] is not Tensor value)
                throw new InvalidDataException($"'{sourceName}': entry '{name}' is not a tensor.");
            if (!value.shape.SequenceEqual(destination.shape))
            {
                throw new InvalidDataException(
                    $"'{sourceName}': entry '{name}' has shape [{string.Join(", ", value.shape)}], expected [{string.Join(", ", destination.shape)}].");
            }
            destination.copy_(value);
        }
        return source.Keys.Cast<string>().Where(key => !targetEntries.ContainsKey(key)).Order(StringComparer.Ordinal).ToList();
    }
}
