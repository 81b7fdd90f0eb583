// One ensemble at a time: each starts 15-25 processes, and two starting together on 2 cores time each other out.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
