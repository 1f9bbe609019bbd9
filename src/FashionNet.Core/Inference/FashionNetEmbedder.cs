using System.IO.Hashing;
using System.Text;
using FashionNet.Checkpoints;
using FashionNet.Data.Imaging;
using FashionNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Inference;

/// <summary>
/// A trained FashionNet as an <see cref="IImageEmbedder"/>: the fused, L2-normalized embedding of
/// <see cref="FashionNetModel.Embed"/>, the local branch pooling at predicted landmarks. The model is kept in evaluation
/// mode; the fingerprint hashes the recipe and every weight, so two checkpoints of the same architecture but different
/// training never share an index.
/// </summary>
public sealed class FashionNetEmbedder : IImagePredictor
{
    private readonly bool _ownsModel;

    /// <summary>Wraps a model; call <see cref="FromCheckpoint"/> to load one from a file.</summary>
    /// <param name="model">The model; switched to evaluation mode.</param>
    /// <param name="normalizer">The input normalization of the model's backbone (from <see cref="ModelRecipe.Build"/> or the checkpoint).</param>
    /// <param name="recipe">The recipe the model was built from (its fingerprint enters this embedder's).</param>
    /// <param name="ownsModel">Whether disposing this embedder disposes the model.</param>
    /// <param name="options">How the network runs (default <see cref="InferenceOptions.Default"/>); a memory format other than the default re-lays the model's weights in place.</param>
    public FashionNetEmbedder(FashionNetModel model, IImageNormalizer normalizer, ModelRecipe recipe, bool ownsModel = false, InferenceOptions? options = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Normalizer = normalizer ?? throw new ArgumentNullException(nameof(normalizer));
        ArgumentNullException.ThrowIfNull(recipe);
        if (model.Options.ImageWidth != model.Options.ImageHeight)
            throw new ArgumentException($"The model's input is {model.Options.ImageWidth}x{model.Options.ImageHeight}; embedders take square images.", nameof(model));
        Options = options ?? InferenceOptions.Default;
        Options.Validate();
        Recipe = recipe;
        _ownsModel = ownsModel;
        model.eval();
        Fingerprint = ComputeFingerprint(model, recipe);
        model.ApplyMemoryFormat(Options.MemoryFormat);
    }

    /// <summary>How the network runs.</summary>
    public InferenceOptions Options { get; }

    /// <summary>The model.</summary>
    public FashionNetModel Model { get; }

    /// <summary>The recipe of the model.</summary>
    public ModelRecipe Recipe { get; }

    /// <inheritdoc/>
    public string Fingerprint { get; }

    /// <inheritdoc/>
    public int ImageSize => Model.Options.ImageWidth;

    /// <inheritdoc/>
    public IImageNormalizer Normalizer { get; }

    /// <inheritdoc/>
    public int Dimension => Model.Options.EmbeddingSize;

    /// <inheritdoc/>
    public string? ModelPath { get; private init; }

    /// <summary>
    /// Rebuilds the model a checkpoint was saved from (its model fingerprint is a <see cref="ModelRecipe"/>) and loads
    /// the weights and the input normalizer stored with them: the checkpoint alone is enough, no pretrained file is
    /// read and no global random state changes.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="options">How and where the network runs (default <see cref="InferenceOptions.Default"/>: the CPU); a checkpoint loads onto any device.</param>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a FashionNet checkpoint of this format version.</exception>
    /// <exception cref="NotSupportedException">The device is not available here.</exception>
    public static FashionNetEmbedder FromCheckpoint(string path, InferenceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' not found.", path);
        var metadata = CheckpointFile.ReadMetadata(path);
        ModelRecipe recipe;
        try
        {
            recipe = ModelRecipe.FromFingerprint(metadata.ModelFingerprint);
        }
        catch (FormatException e)
        {
            throw new CheckpointFormatException(path, e.Message);
        }
        var normalizer = CheckpointFile.ReadNormalizer(path);
        var model = recipe.CreateArchitecture();
        try
        {
            CheckpointFile.LoadWeights(path, model, expectedModelFingerprint: metadata.ModelFingerprint);
            model.to(Diagnostics.ComputeDevice.RequireAvailable((options ?? InferenceOptions.Default).Device ?? CPU));
            return new FashionNetEmbedder(model, normalizer, recipe, ownsModel: true, options) { ModelPath = Path.GetFullPath(path) };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public Tensor Embed(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return Model.Embed(images.to(Model.Device).ToMemoryFormat(Options.MemoryFormat)).cpu().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public IReadOnlyList<ImagePrediction> Predict(Tensor images, int topCategories = 3)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(topCategories, 1);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var output = Model.call(images.to(Model.Device).ToMemoryFormat(Options.MemoryFormat), null);
        return ImagePredictions.FromOutputs(output.Embedding, output.Landmarks, output.VisibilityLogits, output.CategoryLogits,
            Model.Options.VisibilityThreshold, topCategories);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }

    /// <summary><c>fashionnet:</c> and the XxHash64 of the recipe fingerprint and every parameter and buffer, in state-dict order.</summary>
    private static string ComputeFingerprint(FashionNetModel model, ModelRecipe recipe)
    {
        var hash = new XxHash64();
        hash.Append(Encoding.UTF8.GetBytes(recipe.Fingerprint));
        using var scope = NewDisposeScope();
        foreach (var (name, value) in model.state_dict())
        {
            hash.Append(Encoding.UTF8.GetBytes(name));
            hash.Append(value.detach().cpu().contiguous().bytes);
        }
        return $"fashionnet:{hash.GetCurrentHashAsUInt64():x16}";
    }
}
