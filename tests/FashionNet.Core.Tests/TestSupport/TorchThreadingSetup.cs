using System.Runtime.CompilerServices;
using FashionNet.Diagnostics;

namespace FashionNet.Tests.TestSupport;

internal static class TorchThreadingSetup
{
    /// <summary>Tests run in parallel with each other and with loader threads: LibTorch's threads should not spin.</summary>
    [ModuleInitializer]
    internal static void PreferPassiveWaiting() => TorchThreading.PreferPassiveWaiting();
}
