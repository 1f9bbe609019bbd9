namespace FashionNet.Training;

/// <summary>
/// The learning rate as a pure function of the optimizer step, so a resumed run needs only the step count.
/// </summary>
/// <param name="Options">The schedule's shape.</param>
/// <param name="BaseRate">The rate after warm-up.</param>
/// <param name="TotalSteps">Steps of the stage (the cosine schedule ends there).</param>
public sealed record LearningRateSchedule(ScheduleOptions Options, double BaseRate, long TotalSteps)
{
    /// <summary>The rate for optimizer step <paramref name="step"/> (0-based).</summary>
    public double RateAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < Options.WarmupSteps) return BaseRate * (step + 1) / Options.WarmupSteps;
        long decayStep = step - Options.WarmupSteps;
        return Options.Kind switch
        {
            ScheduleKind.Constant => BaseRate,
            ScheduleKind.Step => BaseRate * Math.Pow(Options.StepFactor, decayStep / Options.StepEvery),
            ScheduleKind.Cosine => CosineRate(decayStep),
            _ => throw new InvalidOperationException($"Unknown schedule {Options.Kind}."),
        };
    }

    private double CosineRate(long decayStep)
    {
        long decaySteps = Math.Max(1, TotalSteps - Options.WarmupSteps);
        double progress = Math.Min(1.0, (double)decayStep / decaySteps);
        double floor = BaseRate * Options.FinalFraction;
        return floor + (BaseRate - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
