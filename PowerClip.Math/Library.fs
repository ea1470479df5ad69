namespace PowerClip.Math
