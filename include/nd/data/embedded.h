// Datasets compiled into the library (from data/), so the demo runs with no files around.
#pragma once

namespace nd::data {

// AirPassengers (Box & Jenkins), monthly 1949-01 .. 1960-12, long format unique_id,ds,y.
const char* embedded_air_passengers();

}  // namespace nd::data
