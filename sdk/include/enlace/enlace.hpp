// Everything a C++ client of Enlace needs.
#pragma once

#include "enlace/client.hpp"
#include "enlace/delivery.hpp"
#include "enlace/envelope_builder.hpp"
#include "enlace/error.hpp"
#include "enlace/keys.hpp"
#include "enlace/result.hpp"
#include "enlace/topic.hpp"
#include "enlace/wire.hpp"
