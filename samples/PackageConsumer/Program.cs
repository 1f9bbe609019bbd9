using FashionNet.Diagnostics;

// The smallest use of the FashionNet.Core package: load TorchSharp through it and run one autograd step.
var report = EnvironmentReport.Collect();
Console.WriteLine($"FashionNet.Core on TorchSharp {report.TorchSharpVersion}, LibTorch {report.LibTorchVersion}");
Console.WriteLine($"autograd self-test: {(report.SelfTestPassed ? "passed" : "FAILED")}");
return report.SelfTestPassed ? 0 : 1;
