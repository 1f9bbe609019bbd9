using BenchmarkDotNet.Running;

// Pick benchmarks on the command line, e.g. `-- --filter '*LandmarkPooling*'`; see benchmarks/README.md.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
