using FashionNet.Data;
using FashionNet.Evaluation;

namespace FashionNet.Tests.Evaluation;

public class LandmarkErrorTests
{
    private static Landmark[] Truth(params (int Slot, float X, float Y, LandmarkVisibility Visibility)[] landmarks)
    {
        var truth = Enumerable.Repeat(new Landmark(0, 0, LandmarkVisibility.Truncated), LandmarkLayout.SlotCount).ToArray();
        foreach (var (slot, x, y, visibility) in landmarks) truth[slot] = new Landmark(x, y, visibility);
        return truth;
    }

    private static float[] Predicted(params (int Slot, float X, float Y)[] landmarks)
    {
        // Unset slots sit far away: if an invisible landmark were measured, the error would show it.
        var predicted = Enumerable.Repeat(1000f, 2 * LandmarkLayout.SlotCount).ToArray();
        foreach (var (slot, x, y) in landmarks) (predicted[2 * slot], predicted[2 * slot + 1]) = (x, y);
        return predicted;
    }

    [Fact]
    public void HandComputedErrorOverVisibleLandmarksOnly()
    {
        var accumulator = new LandmarkErrorAccumulator(new LandmarkEvaluationOptions { DetectionThresholds = [0.06, 0.15, 0.25] });

        // 200 x 100 image: slot 0 is off by 20 px in x (0.1 of the width), slot 1 by 20 px in y (0.2 of the height);
        // slot 2 is occluded and slot 3 truncated, both predicted far off: they must not count, neither as error nor as 0.
        accumulator.Add(
            Predicted((0, 120, 50), (1, 10, 30), (2, 200, 100), (3, 0, 0)),
            Truth((0, 100, 50, LandmarkVisibility.Visible), (1, 10, 10, LandmarkVisibility.Visible),
                (2, 0, 0, LandmarkVisibility.Occluded), (3, 150, 90, LandmarkVisibility.Truncated)),
            imageWidth: 200, imageHeight: 100);
        // 100 x 100 image: slot 0 off by (3, 4) px: 0.05.
        accumulator.Add(Predicted((0, 53, 54)), Truth((0, 50, 50, LandmarkVisibility.Visible)), 100, 100);

        var result = accumulator.Result();

        Assert.Equal(2, result.ImageCount);
        Assert.Equal(3, result.VisibleLandmarkCount);
        Assert.Equal(2, result.PerSlot[0].VisibleCount);
        Assert.Equal(0.075, result.PerSlot[0].Error!.Value, 1e-12);
        Assert.Equal(0.2, result.PerSlot[1].Error!.Value, 1e-12);
        Assert.All(result.PerSlot.Skip(2), slot => Assert.Null(slot.Error));
        // Signed: slot 0 is off by (+0.1, 0) and then (+0.03, +0.04); slot 1 by (0, +0.2).
        Assert.Equal(0.065, result.PerSlot[0].MeanOffset!.Value.X, 1e-12);
        Assert.Equal(0.02, result.PerSlot[0].MeanOffset!.Value.Y, 1e-12);
        Assert.Equal(new LandmarkOffset(0, 0.2), result.PerSlot[1].MeanOffset);
        Assert.All(result.PerSlot.Skip(2), slot => Assert.Null(slot.MeanOffset));
        Assert.Equal((0.075 + 0.2) / 2, result.MeanError!.Value, 1e-12);
        Assert.Equal((0.1 + 0.2 + 0.05) / 3, result.PooledError!.Value, 1e-12);
        Assert.Equal([new(0.06, 1 / 3.0), new(0.15, 2 / 3.0), new(0.25, 1.0)], result.DetectionRates.ToArray());
    }

    [Fact]
    public void MissesOnOppositeSidesCancelInTheMeanOffsetButNotInTheError()
    {
        var accumulator = new LandmarkErrorAccumulator();
        accumulator.Add(Predicted((2, 60, 50)), Truth((2, 50, 50, LandmarkVisibility.Visible)), 100, 100);
        accumulator.Add(Predicted((2, 40, 50)), Truth((2, 50, 50, LandmarkVisibility.Visible)), 100, 100);

        var slot = accumulator.Result().PerSlot[2];

        Assert.Equal(0.1, slot.Error!.Value, 1e-12);
        Assert.Equal(0, slot.MeanOffset!.Value.Length, 1e-12);
    }

    [Fact]
    public void NoVisibleLandmarkGivesNoError()
    {
        var accumulator = new LandmarkErrorAccumulator();
        accumulator.Add(Predicted(), Truth((0, 1, 1, LandmarkVisibility.Occluded)), 10, 10);

        var result = accumulator.Result();

        Assert.Equal(0, result.VisibleLandmarkCount);
        Assert.Null(result.MeanError);
        Assert.Null(result.PooledError);
        Assert.All(result.PerSlot, slot => Assert.Null(slot.MeanOffset));
        Assert.All(result.DetectionRates, rate => Assert.Equal(0, rate.Rate));
    }

    [Fact]
    public void RejectsBadInput()
    {
        var accumulator = new LandmarkErrorAccumulator();

        Assert.Throws<ArgumentException>(() => accumulator.Add(new float[6], Truth(), 10, 10));
        Assert.Throws<ArgumentException>(() => accumulator.Add(Predicted(), new Landmark[6], 10, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => accumulator.Add(Predicted(), Truth(), 0, 10));
        Assert.Throws<ArgumentException>(() =>
            accumulator.Add(Predicted((0, float.NaN, 0)), Truth((0, 1, 1, LandmarkVisibility.Visible)), 10, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LandmarkErrorAccumulator(new LandmarkEvaluationOptions { DetectionThresholds = [0] }));
    }
}
