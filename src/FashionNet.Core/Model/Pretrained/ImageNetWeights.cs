using FashionNet.Data.Imaging;

namespace FashionNet.Model.Pretrained;

/// <summary>
/// Where the ImageNet ResNet18 files are found at run time, without a download. The NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 ships them, and a project that references it gets them copied into its
/// output folder as <c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c> and
/// <c>DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx</c> (by the package's own build props). Library calls take
/// explicit paths; these helpers resolve the package's layout under a folder.
/// </summary>
public static class ImageNetWeights
{
    /// <summary>The folder the package copies its models into, under the application's base directory.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    /// <summary>Path of <c>ResNet18.onnx</c> under <paramref name="directory"/> (default <see cref="DefaultDirectory"/>).</summary>
    public static string ResNet18Path(string? directory = null) =>
        Path.Combine(directory ?? DefaultDirectory, "ResNet18Onnx", ResNet18OnnxImporter.FileName);

    /// <summary>Path of <c>ResNetPreprocess.onnx</c> under <paramref name="directory"/> (default <see cref="DefaultDirectory"/>).</summary>
    public static string PreprocessPath(string? directory = null) =>
        Path.Combine(directory ?? DefaultDirectory, "ResNetPrepOnnx", ResNet18OnnxPreprocessing.FileName);

    /// <summary>Whether both files are present under <paramref name="directory"/> (default <see cref="DefaultDirectory"/>).</summary>
    public static bool Exist(string? directory = null) => File.Exists(ResNet18Path(directory)) && File.Exists(PreprocessPath(directory));

    /// <summary>
    /// Loads the ImageNet ResNet18 (the CNTK layout, <see cref="Backbones.ResNet.ResNet18Cntk"/>) from
    /// <paramref name="directory"/> (default <see cref="DefaultDirectory"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is missing; the message says how to get it.</exception>
    public static Backbones.ResNet LoadResNet18(string? directory = null) => ResNet18OnnxImporter.Load(Require(ResNet18Path(directory)));

    /// <summary>
    /// The input normalization the ImageNet ResNet18 weights expect (BGR minus the mean image), for square inputs of
    /// <paramref name="imageSize"/> pixels, from <paramref name="directory"/> (default <see cref="DefaultDirectory"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is missing; the message says how to get it.</exception>
    public static MeanImageBgrNormalizer LoadNormalizer(int imageSize, string? directory = null) =>
        ResNet18OnnxPreprocessing.LoadNormalizer(Require(PreprocessPath(directory)), imageSize);

    private static string Require(string path) => File.Exists(path) ? path : throw new FileNotFoundException(
        $"ImageNet weights not found at '{path}'. Reference the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (0.23.1) " +
        "from the application project: it copies DnnImageModels/ into the output folder.", path);
}
