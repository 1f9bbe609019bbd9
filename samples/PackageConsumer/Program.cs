using FashionNet.Checkpoints;
using FashionNet.Data;
using FashionNet.Data.Imaging;
using FashionNet.Data.Synthetic;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;
using FashionNet.Model;
using SixLabors.ImageSharp;
using static TorchSharp.torch;

// The smallest real use of the FashionNet.Core package: load a trained FashionNet from a checkpoint, embed two
// images, and print their similarity with the model's predicted category and landmarks; then the same model through
// ONNX Runtime (the FashionNet.Core.Onnx package).
//
//   dotnet run -- [CHECKPOINT [IMAGE1 IMAGE2]]
//
// Without a checkpoint it trains nothing: it saves a small random-initialized model through CheckpointFile and loads
// it back, and without images it draws two views of one synthetic garment, so it runs anywhere without data.
string work = Directory.CreateTempSubdirectory("fashionnet-consumer-").FullName;
try
{
    string checkpoint = args.Length > 0 ? args[0] : SaveRandomModel(Path.Combine(work, "random.ckpt"));
    string[] images = args.Length >= 3 ? args[1..3] : DrawTwoViews(work);

    using var embedder = FashionNetEmbedder.FromCheckpoint(checkpoint);
    Console.WriteLine($"model {embedder.Fingerprint}: {embedder.Recipe.Backbone}, {embedder.ImageSize} px input, {embedder.Dimension}-d embedding");

    float[] first = ImageEmbedding.EmbedImage(embedder, images[0]);
    float[] second = ImageEmbedding.EmbedImage(embedder, images[1]);
    // Embeddings are L2-normalized: their dot product is the cosine similarity.
    float similarity = first.Zip(second, (a, b) => a * b).Sum();
    Console.WriteLine($"cosine similarity of the two images: {similarity:0.0000}");

    // The same model exported to ONNX in memory and run by ONNX Runtime on the CPU, under the same fingerprint; the line
    // says how far its embedding is from LibTorch's (1.5e-7 for the random model on the drawn views when this was written).
    using (var onnx = OnnxFashionNetEmbedder.FromEmbedder(embedder))
    {
        float[] viaOnnx = ImageEmbedding.EmbedImage(onnx, images[0]);
        float difference = first.Zip(viaOnnx, (a, b) => MathF.Abs(a - b)).Max();
        Console.WriteLine($"ONNX Runtime: fingerprint {(onnx.Fingerprint == embedder.Fingerprint ? "the same" : "DIFFERENT")}, " +
            $"max |difference| from LibTorch's embedding of the first image {difference:E1}");
    }

    foreach (string image in images) Describe(embedder, image);
    return 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}

static void Describe(FashionNetEmbedder embedder, string imagePath)
{
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    var output = embedder.Model.call(PreparedImage.FromFile(imagePath, embedder.ImageSize, embedder.Normalizer).ToTensor(), null);
    var category = output.CategoryLogits.softmax(1)[0];
    int best = (int)category.argmax().item<long>();
    Console.WriteLine($"{Path.GetFileName(imagePath)}: category {best + 1} (p = {category[best].item<float>():0.000})");

    // Landmarks are normalized to the network input, which is the whole image resized: x * width, y * height.
    var picture = Image.Identify(imagePath);
    var positions = output.Landmarks[0].data<float>().ToArray();
    var visible = output.VisibilityLogits[0].sigmoid().data<float>().ToArray();
    for (int slot = 0; slot < visible.Length; slot++)
    {
        Console.WriteLine($"  {(LandmarkSlot)slot,-16} ({positions[2 * slot] * picture.Width,6:0.0}, {positions[2 * slot + 1] * picture.Height,6:0.0}) px, " +
            $"visible p = {visible[slot]:0.00}");
    }
}

static string SaveRandomModel(string path)
{
    var recipe = new ModelRecipe
    {
        Initialization = BackboneInitialization.Random,
        ImageSize = 64,
        EmbeddingSize = 32,
        CategoryCount = 5,
        AttributeCount = 10,
    };
    var (model, normalizer) = recipe.Build();
    using (model)
    {
        CheckpointFile.Save(path, model, normalizer, null,
            new CheckpointMetadata(recipe.Fingerprint, "{}", new TrainingProgress(Stage: 1, Epoch: 0, GlobalStep: 0, BestMetric: null), DateTimeOffset.UtcNow));
    }
    Console.WriteLine($"no checkpoint given: saved a random-initialized {recipe.ImageSize} px model to {path} (its predictions mean nothing)");
    return path;
}

static string[] DrawTwoViews(string folder)
{
    var synthetic = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 2, ViewsPerItem = 2, ImageSize = 64 });
    var views = synthetic.Views.Where(v => v.Item == synthetic.Views[0].Item).Take(2).ToArray();
    var paths = new string[2];
    for (int i = 0; i < 2; i++)
    {
        using var image = synthetic.Render(views[i]);
        paths[i] = Path.Combine(folder, $"view{i}.png");
        image.SaveAsPng(paths[i]);
    }
    Console.WriteLine($"no images given: drew two views of synthetic item {views[0].Item.ItemId}");
    return paths;
}
