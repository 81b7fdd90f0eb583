using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex.Tests.Index;

/// <summary>The feedback rule alone (pure): <c>clamp(round(current + grow × over − shrink × under), min, max)</c>.</summary>
public sealed class CapacityCalibrationTests
{
    private static readonly PrefixIndexOptions Options = new() { MinCapacity = 10, MaxCapacity = 1000, CapacityGrowPerBlock = 0.5, CapacityShrinkPerBlock = 0.25 };

    [Theory]
    [InlineData(100, 40, 0, 120)]     // grow 0.5 per over-block
    [InlineData(100, 0, 40, 90)]      // shrink 0.25 per under-block
    [InlineData(100, 40, 40, 110)]    // both in one report
    [InlineData(100, 0, 0, 100)]      // no evidence
    [InlineData(100, 1, 0, 101)]      // 100.5: halves round away from zero
    [InlineData(100, 0, 1, 100)]      // 99.75
    [InlineData(100, 0, 2, 100)]      // 99.5: up as well
    [InlineData(100, 0, 3, 99)]       // 99.25
    public void Next_MovesByTheRule(int current, long over, long under, int expected)
        => Assert.Equal(expected, CapacityCalibration.Next(current, over, under, Options));

    [Theory]
    [InlineData(100, 0, 1_000, 10)]
    [InlineData(100, 0, long.MaxValue, 10)]
    [InlineData(5, 0, 0, 10)]         // below the range already: no evidence still clamps
    public void Next_ClampsAtMinCapacity(int current, long over, long under, int expected)
        => Assert.Equal(expected, CapacityCalibration.Next(current, over, under, Options));

    [Theory]
    [InlineData(100, 10_000, 0, 1000)]
    [InlineData(100, long.MaxValue, 0, 1000)]
    [InlineData(int.MaxValue, 0, 0, 1000)]
    public void Next_ClampsAtMaxCapacity(int current, long over, long under, int expected)
        => Assert.Equal(expected, CapacityCalibration.Next(current, over, under, Options));

    [Fact]
    public void Next_UsesTheConfiguredSteps()
    {
        var options = new PrefixIndexOptions { CapacityGrowPerBlock = 2, CapacityShrinkPerBlock = 1, MinCapacity = 1 };
        Assert.Equal(180, CapacityCalibration.Next(100, 40, 0, options));
        Assert.Equal(60, CapacityCalibration.Next(100, 0, 40, options));
    }

    [Fact]
    public void Defaults_GrowTwiceAsFastAsTheyShrink()
    {
        var defaults = new PrefixIndexOptions();
        Assert.Equal((1.0, 0.5, 256, 4_000_000, CapacityFeedbackMode.WhenUnknown),
            (defaults.CapacityGrowPerBlock, defaults.CapacityShrinkPerBlock, defaults.MinCapacity, defaults.MaxCapacity, defaults.CapacityFeedback));
        Assert.Equal(256, CapacityCalibration.Next(300, 0, 1_000, defaults));
        Assert.Equal(32_250, CapacityCalibration.Next(31_250, 1_000, 0, defaults));
    }

    [Theory]
    [InlineData(CapacityFeedbackMode.Off, false, false)]
    [InlineData(CapacityFeedbackMode.Off, true, false)]
    [InlineData(CapacityFeedbackMode.WhenUnknown, false, true)]
    [InlineData(CapacityFeedbackMode.WhenUnknown, true, false)]
    [InlineData(CapacityFeedbackMode.Always, false, true)]
    [InlineData(CapacityFeedbackMode.Always, true, true)]
    public void Applies_ByModeAndWhetherTheEngineReportedTheSize(CapacityFeedbackMode mode, bool engineReported, bool expected) =>
        Assert.Equal(expected, CapacityCalibration.Applies(mode, engineReported));

    [Fact]
    public void Next_RefusesNegativeEvidence()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CapacityCalibration.Next(100, -1, 0, Options));
        Assert.Throws<ArgumentOutOfRangeException>(() => CapacityCalibration.Next(100, 0, -1, Options));
    }
}
