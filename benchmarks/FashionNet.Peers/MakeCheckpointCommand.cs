using FashionNet.Checkpoints;
using FashionNet.Model;

namespace FashionNet.Peers;

/// <summary>
/// <c>make-checkpoint</c>: an untrained FashionNet for the In-shop sample (ImageNet trunk, randomly initialized branches
/// and heads) saved as a checkpoint, so that <c>embed-fashionnet</c> and its equality check can run before a trained
/// checkpoint exists. Its speed is a trained model's (same architecture); its embeddings retrieve nothing useful.
/// </summary>
internal static class MakeCheckpointCommand
{
    public const string Usage = "--out FILE [--data DIR] [--image-size 160] [--seed 1]";

    public static int Run(PeerArguments args)
    {
        string path = args.Required("out");
        string data = args.Directory("data", PeerData.InShopSample);
        int imageSize = args.Int("image-size", 160, minimum: 32), seed = args.Int("seed", 1, minimum: 0);
        args.RejectUnread();

        TorchSharp.torch.manual_seed(seed);
        var recipe = new ModelRecipe { ImageSize = imageSize }.For(PeerData.ReadInShop(data));
        var (model, normalizer) = recipe.Build();
        using (model)
        {
            CheckpointFile.Save(path, model, normalizer, optimizer: null,
                new CheckpointMetadata(recipe.Fingerprint, "{}", new TrainingProgress(0, 0, 0, null), DateTimeOffset.UtcNow));
        }
        Console.Error.WriteLine($"make-checkpoint: untrained {recipe.Backbone} FashionNet at {imageSize} px written to '{Path.GetFullPath(path)}'.");
        return 0;
    }
}
